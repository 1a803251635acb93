// Configuration: load (YAML file) → merge flags over it → validate every field, reporting all
// problems at once as `path: message` → apply defaults → freeze. Each program (collector, agent)
// declares a schema; the same schema types the result, so a key can't be read that isn't
// validated. Keys are camelCase in YAML (`tlsCert`), the flag is kebab-case (`--tls-cert`).
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { parseDuration } from './duration.js';
import { PortdriftError } from './errors.js';

type Base<T> = { describe?: string; default?: T; required?: boolean };

export type FieldSpec =
  | ({ type: 'string'; pattern?: RegExp; patternHint?: string } & Base<string>)
  | ({ type: 'int'; min?: number; max?: number } & Base<number>)
  /** Written as `30s`; the value is milliseconds. */
  | ({ type: 'duration'; min?: number } & Base<string>)
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

type HasValue<F> = F extends { default: unknown } ? true : F extends { required: true } ? true : F extends { type: 'strings' | 'list' | 'bool' | 'object' } ? true : false;

export type Infer<S extends Schema> = {
  readonly [K in keyof S as HasValue<S[K]> extends true ? K : never]: ValueOf<S[K]>;
} & {
  readonly [K in keyof S as HasValue<S[K]> extends true ? never : K]?: ValueOf<S[K]>;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validateField(spec: FieldSpec, raw: unknown, path: string, problems: string[]): unknown {
  if (raw === undefined || raw === null) {
    if (spec.required) problems.push(`${path}: is required`);
    if (spec.type === 'duration' && spec.default !== undefined) return parseDuration(spec.default);
    if (spec.default !== undefined) return spec.default;
    if (spec.type === 'strings' || spec.type === 'list') return [];
    if (spec.type === 'bool') return false;
    if (spec.type === 'object') return validateObject(spec.fields, {}, path, problems);
    return undefined;
  }
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') return void problems.push(`${path}: must be a non-empty string`);
      if (spec.pattern && !spec.pattern.test(raw)) return void problems.push(`${path}: must be ${spec.patternHint ?? `like ${spec.pattern}`}, got "${raw}"`);
      return raw;
    case 'int': {
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n)) return void problems.push(`${path}: must be an integer, got ${JSON.stringify(raw)}`);
      if (spec.min !== undefined && n < spec.min) return void problems.push(`${path}: must be at least ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) return void problems.push(`${path}: must be at most ${spec.max}, got ${n}`);
      return n;
    }
    case 'duration': {
      if (typeof raw !== 'string') return void problems.push(`${path}: must be a duration such as 30s or 5m, got ${JSON.stringify(raw)}`);
      try {
        const ms = parseDuration(raw);
        if (spec.min !== undefined && ms < spec.min) return void problems.push(`${path}: must be at least ${spec.min}ms, got ${raw}`);
        return ms;
      } catch {
        return void problems.push(`${path}: must be a duration such as 500ms, 30s, 5m or 1h, got "${raw}"`);
      }
    }
    case 'bool':
      if (raw === 'true' || raw === true) return true;
      if (raw === 'false' || raw === false) return false;
      return void problems.push(`${path}: must be true or false, got ${JSON.stringify(raw)}`);
    case 'enum':
      if (typeof raw !== 'string' || !spec.values.includes(raw)) return void problems.push(`${path}: must be one of ${spec.values.join(', ')}, got ${JSON.stringify(raw)}`);
      return raw;
    case 'strings': {
      const list = typeof raw === 'string' ? [raw] : raw;
      if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) return void problems.push(`${path}: must be a list of non-empty strings`);
      return [...list];
    }
    case 'object':
      if (!isObject(raw)) return void problems.push(`${path}: must be a mapping`);
      return validateObject(spec.fields, raw, path, problems);
    case 'list':
      if (!Array.isArray(raw)) return void problems.push(`${path}: must be a list`);
      return raw.map((item, i) => (isObject(item) ? validateObject(spec.of, item, `${path}[${i}]`, problems) : void problems.push(`${path}[${i}]: must be a mapping`)));
  }
}

function validateObject(schema: Schema, raw: Record<string, unknown>, prefix: string, problems: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (!(key in schema)) problems.push(`${prefix ? `${prefix}.` : ''}${key}: unknown key`);
  }
  for (const [key, spec] of Object.entries(schema)) {
    const value = validateField(spec, raw[key], prefix ? `${prefix}.${key}` : key, problems);
    if (value !== undefined) out[key] = value;
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
    throw new PortdriftError('PD_CONFIG_READ', `${file}: cannot read config file: ${(err as Error).message}`, { cause: err });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
    throw new PortdriftError('PD_CONFIG_READ', `${file}: invalid YAML\n  ${problems.join('\n  ')}`, { details: { problems } });
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isObject(value)) throw new PortdriftError('PD_CONFIG_READ', `${file}: the config must be a mapping of keys to values`);
  return value;
}

/** The top-level key a problem line is about: `webhooks[0].url: …` → `webhooks`. */
export const problemKey = (problem: string): string => /^[^.:[]+/.exec(problem)?.[0] ?? problem;

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
export function buildConfig<S extends Schema>(schema: S, file: Record<string, unknown>, flags: Record<string, unknown> = {}, origin = 'config', check?: CrossCheck<S>): Infer<S> {
  const merged: Record<string, unknown> = { ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  const problems: string[] = [];
  const value = validateObject(schema, merged, '', problems);
  if (check) {
    const failed = new Set(problems.map(problemKey));
    problems.push(...check(value as Partial<Infer<S>>, failed));
  }
  if (problems.length > 0) {
    throw new PortdriftError('PD_CONFIG_INVALID', `${origin} is invalid:\n  ${problems.join('\n  ')}`, { details: { problems } });
  }
  return deepFreeze(value) as Infer<S>;
}
