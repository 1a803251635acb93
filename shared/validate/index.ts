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

/**
 * Every issue as `path: message`, in the order found; an unknown key is a problem of its own
 * (`extra: unknown key`), reported before the problems of its object's fields as people read a
 * mapping top down and a misspelt key explains a missing one below it. Messages are the
 * schemas' own (each check says its message where it is declared), never rewritten here.
 */
export function problemsOf(error: z.ZodError, options: ProblemOptions = {}): string[] {
  const { prefix, unknown = 'unknown key' } = options;
  const at = (path: readonly PropertyKey[]) => {
    const p = formatPath(path);
    if (prefix === undefined) return p;
    if (p === '') return prefix;
    return p.startsWith('[') ? `${prefix}${p}` : `${prefix}.${p}`;
  };
  const unknownKeys: string[] = [];
  const rest: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) unknownKeys.push(`${at([...issue.path, key.slice(0, 80)])}: ${unknown}`);
    } else rest.push(`${at(issue.path)}: ${issue.message}`);
  }
  return [...unknownKeys, ...rest];
}

/** The value, or every problem at once. */
export function check<T>(
  schema: z.ZodType<T>,
  value: unknown,
  options: ProblemOptions = {},
): { ok: true; value: T } | { ok: false; problems: string[] } {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, problems: problemsOf(r.error, options) };
}
