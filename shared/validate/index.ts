// The one home of the schema library (zod): config files, API bodies and wire batches are
// validated with it, and every problem comes back as `path: message`, the form every error of
// portdrift uses for input (`webhooks[0].url: must be an http(s) URL`). Other modules import `z`
// from here and never zod itself, so a change of library or of its version touches this folder.
import { z } from 'zod';

export { z };

/** `['webhooks', 0, 'url']` → `webhooks[0].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

export interface ProblemOptions {
  /** Put before every path: a key whose schema was run alone (`smtp`), or a line (`line 3`). */
  prefix?: string;
  /** How an unknown key is called: `unknown key` in config files, `unknown field` in API bodies. */
  unknown?: string;
}

/** One problem: where (`webhooks[0].url`, '' for the whole value) and what. */
export interface Issue {
  path: string;
  message: string;
}

/**
 * Every issue, in the order found; an unknown key is an issue of its own (`extra: unknown key`),
 * listed before the problems of the fields, as people read a mapping top down and a misspelt key
 * explains a missing one below it. Messages are the schemas' own (each check says its message
 * where it is declared), never rewritten here.
 */
export function issuesOf(error: z.ZodError, options: ProblemOptions = {}): Issue[] {
  const { prefix, unknown = 'unknown key' } = options;
  const at = (path: readonly PropertyKey[]) => {
    const p = formatPath(path);
    if (prefix === undefined) return p;
    if (p === '') return prefix;
    return p.startsWith('[') ? `${prefix}${p}` : `${prefix}.${p}`;
  };
  const unknownKeys: Issue[] = [];
  const rest: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) unknownKeys.push({ path: at([...issue.path, key.slice(0, 40)]), message: unknown });
    } else rest.push({ path: at(issue.path), message: issue.message });
  }
  return [...unknownKeys, ...rest];
}

/** `path: message` (the message alone for the whole value). */
export const problemText = (i: Issue): string => (i.path === '' ? i.message : `${i.path}: ${i.message}`);

/** Every issue as `path: message`. */
export const problemsOf = (error: z.ZodError, options: ProblemOptions = {}): string[] =>
  issuesOf(error, options).map(problemText);

/** The value, or every problem at once (as text, and as issues for callers that need the paths). */
export function check<T>(
  schema: z.ZodType<T>,
  value: unknown,
  options: ProblemOptions = {},
): { ok: true; value: T } | { ok: false; problems: string[]; issues: Issue[] } {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  const issues = issuesOf(r.error, options);
  return { ok: false, problems: issues.map(problemText), issues };
}
