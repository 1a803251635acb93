// Configuration: load (YAML file) → merge flags over it → validate every field (with zod, the
// schema compiled from the declaration below), reporting all problems at once as
// `path: message` → apply defaults → freeze. Each program (collector, agent)
// declares a schema; the same schema types the result, so a key can't be read that isn't
// validated. Keys are camelCase in YAML (`tlsCert`), the flag is kebab-case (`--tls-cert`).
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { parseDuration } from './duration.js';
import { PortdriftError } from './errors.js';
import { check, z } from './validate/index.js';

type Base<T> = { describe?: string; default?: T; required?: boolean };

export type FieldSpec =
  | ({ type: 'string'; pattern?: RegExp; patternHint?: string } & Base<string>)
  | ({ type: 'int'; min?: number; max?: number } & Base<number>)
  /** Written as `30s`; the value is milliseconds. */
  | ({ type: 'duration'; min?: number; max?: number } & Base<string>)
  | ({ type: 'bool' } & Base<boolean>)
  | ({ type: 'enum'; values: readonly string[] } & Base<string>)
  | ({ type: 'strings' } & Base<string[]>)
  | ({ type: 'object'; fields: Schema } & Base<never>)
  | ({ type: 'list'; of: Schema } & Base<never>);

export type Schema = Readonly<Record<string, FieldSpec>>;

type ValueOf<F extends FieldSpec> = F extends { type: 'string' }
  ? string
  : F extends { type: 'int' } | { type: 'duration' }
    ? number
    : F extends { type: 'bool' }
      ? boolean
      : F extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : F extends { type: 'strings' }
          ? string[]
          : F extends { type: 'object'; fields: infer S extends Schema }
            ? Infer<S>
            : F extends { type: 'list'; of: infer S extends Schema }
              ? Infer<S>[]
              : never;

type HasValue<F> = F extends { default: unknown }
  ? true
  : F extends { required: true }
    ? true
    : F extends { type: 'strings' | 'list' | 'bool' | 'object' }
      ? true
      : false;

export type Infer<S extends Schema> = {
  readonly [K in keyof S as HasValue<S[K]> extends true ? K : never]: ValueOf<S[K]>;
} & {
  readonly [K in keyof S as HasValue<S[K]> extends true ? never : K]?: ValueOf<S[K]>;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const missing = (v: unknown) => v === undefined || v === null;
const got = (v: unknown) => JSON.stringify(v);

/** The zod schema of a present value; every message is the one a user reads after `path: `. */
function valueSchema(spec: FieldSpec): z.ZodType {
  switch (spec.type) {
    case 'string': {
      const text = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });
      if (!spec.pattern) return text;
      const hint = spec.patternHint ?? `like ${spec.pattern}`;
      return text.regex(spec.pattern, { error: (iss) => `must be ${hint}, got "${iss.input}"` });
    }
    case 'int': {
      // Flags arrive as text: an integer written as digits is read as one.
      const n = z
        .int({ error: (iss) => `must be an integer, got ${got(iss.input)}` })
        .min(spec.min ?? Number.MIN_SAFE_INTEGER, { error: (iss) => `must be at least ${spec.min}, got ${iss.input}` })
        .max(spec.max ?? Number.MAX_SAFE_INTEGER, { error: (iss) => `must be at most ${spec.max}, got ${iss.input}` });
      return z.preprocess((raw) => (typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw), n);
    }
    case 'duration':
      return z
        .string({ error: (iss) => `must be a duration such as 30s or 5m, got ${got(iss.input)}` })
        .transform((raw, ctx) => {
          let ms: number;
          try {
            ms = parseDuration(raw);
          } catch {
            const message = `must be a duration such as 500ms, 30s, 5m or 1h, got "${raw}"`;
            ctx.addIssue({ code: 'custom', input: raw, message });
            return z.NEVER;
          }
          if (spec.min !== undefined && ms < spec.min) {
            ctx.addIssue({ code: 'custom', input: raw, message: `must be at least ${spec.min}ms, got ${raw}` });
            return z.NEVER;
          }
          if (spec.max !== undefined && ms > spec.max) {
            ctx.addIssue({ code: 'custom', input: raw, message: `must be at most ${spec.max}ms, got ${raw}` });
            return z.NEVER;
          }
          return ms;
        });
    case 'bool':
      return z.unknown().transform((raw, ctx) => {
        if (raw === 'true' || raw === true) return true;
        if (raw === 'false' || raw === false) return false;
        ctx.addIssue({ code: 'custom', input: raw, message: `must be true or false, got ${got(raw)}` });
        return z.NEVER;
      });
    case 'enum': {
      const values = spec.values as readonly [string, ...string[]];
      return z.enum(values, { error: (iss) => `must be one of ${values.join(', ')}, got ${got(iss.input)}` });
    }
    case 'strings': {
      // One value where a list is expected is a list of one (a flag given once, `scope: 10.0.0.0/8`).
      const item = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });
      const list = z.array(item, { error: 'must be a list of non-empty strings' });
      return z.preprocess((raw) => (typeof raw === 'string' ? [raw] : raw), list).transform((l) => [...l]);
    }
    case 'object':
      return objectSchema(spec.fields);
    case 'list':
      return z.array(objectSchema(spec.of), { error: 'must be a list' });
  }
}

/** A key's schema, absent values (undefined, null) included: required, default, or empty. */
function fieldSchema(spec: FieldSpec): z.ZodType {
  const inner = valueSchema(spec);
  // An absent mapping is an empty one, so its own fields' defaults apply.
  if (spec.type === 'object') return z.preprocess((v) => (missing(v) ? {} : v), inner);
  const present = z.preprocess((v) => (missing(v) ? undefined : v), z.unknown());
  if (spec.required) {
    const given = present.refine((v) => v !== undefined, { error: 'is required', abort: true });
    // biome-ignore lint/suspicious/noExplicitAny: the schema is built at run time; its input type is not known here
    return given.pipe(inner as z.ZodType<unknown, any>);
  }
  const absent = (): unknown => {
    if (spec.type === 'duration' && spec.default !== undefined) return parseDuration(spec.default);
    if (spec.default !== undefined) return Array.isArray(spec.default) ? [...spec.default] : spec.default;
    if (spec.type === 'strings' || spec.type === 'list') return [];
    if (spec.type === 'bool') return false;
    return undefined;
  };
  return present.pipe(inner.optional()).transform((v) => (v === undefined ? absent() : v));
}

function objectSchema(schema: Schema): z.ZodType<Record<string, unknown>> {
  const shape = Object.fromEntries(Object.entries(schema).map(([k, spec]) => [k, fieldSchema(spec)]));
  return z.strictObject(shape, { error: 'must be a mapping' }).transform((o) => {
    // A key without a value (no default) is left out, not set to undefined.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
    return out;
  });
}

/**
 * Each top-level key validated on its own, so the keys that passed are known (the cross-field
 * checks run on them) while every problem of every key is still reported.
 */
function validateTop(
  schema: Schema,
  raw: Record<string, unknown>,
  problems: string[],
  failed: Set<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (key in schema) continue;
    problems.push(`${key}: unknown key`);
    failed.add(key);
  }
  for (const [key, spec] of Object.entries(schema)) {
    const r = check(fieldSchema(spec), raw[key], { prefix: key });
    if (r.ok) {
      if (r.value !== undefined) out[key] = r.value;
      continue;
    }
    problems.push(...r.problems);
    failed.add(key);
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Read a YAML (or JSON) config file into a plain object; errors name the file and line. */
export function loadConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PortdriftError('PD_CONFIG_READ', `${file}: cannot read config file: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map(
      (e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`,
    );
    throw new PortdriftError('PD_CONFIG_READ', `${file}: invalid YAML\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isObject(value))
    throw new PortdriftError('PD_CONFIG_READ', `${file}: the config must be a mapping of keys to values`);
  return value;
}

/**
 * Checks across fields (a pair that goes together, a value another parser must accept), run on
 * the fields that passed the schema: `failed` names the top-level keys that did not, so a check
 * can leave them alone instead of reporting a second, derived problem.
 */
export type CrossCheck<S extends Schema> = (value: Partial<Infer<S>>, failed: ReadonlySet<string>) => string[];

/**
 * Validate `file` values with `flags` laid over them (flags win; undefined flags are ignored),
 * run `check`, then apply defaults and freeze. Throws PD_CONFIG_INVALID listing every problem of
 * both passes at once.
 */
export function buildConfig<S extends Schema>(
  schema: S,
  file: Record<string, unknown>,
  flags: Record<string, unknown> = {},
  origin = 'config',
  check?: CrossCheck<S>,
): Infer<S> {
  const merged: Record<string, unknown> = { ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  const problems: string[] = [];
  const failed = new Set<string>();
  const value = validateTop(schema, merged, problems, failed);
  if (check) problems.push(...check(value as Partial<Infer<S>>, failed));
  if (problems.length > 0) {
    // `keys`: the top-level keys the schema refused, for a caller's own checks across keys.
    const details = { problems, keys: [...failed] };
    throw new PortdriftError('PD_CONFIG_INVALID', `${origin} is invalid:\n  ${problems.join('\n  ')}`, { details });
  }
  return deepFreeze(value) as Infer<S>;
}
