// Values of statically evaluated Terraform expressions. A literal keeps the place it is written
// (its origin), so a port still points at its variable default or tfvars line after passing
// through references, conditionals and collections. `unknown` is what cannot be known without
// applying (other resources' attributes, data sources, variables without a value): reported,
// never guessed. A failed evaluation (a missing key, a wrong type) throws EvalFailure, which
// `try` / `can` catch and which is otherwise reported like an unknown.
import type { ValueOrigin } from '../../../types.js';

export type Origin = Omit<ValueOrigin, 'sharedWith'>;

export type Value =
  | { t: 'lit'; v: number | string | boolean | null; o?: Origin }
  | { t: 'list'; items: Value[] }
  | { t: 'map'; items: Map<string, Value> }
  | { t: 'unknown'; expr: string };

export class EvalFailure extends Error {}

/**
 * Thrown where an operation needs a known value and meets an unknown one inside a collection
 * (`join(",", [data.x.id])`): the result is unknown, not a failure that `try` could skip.
 */
export class UnknownHit extends Error {}

const need = (v: Value): void => {
  if (v.t === 'unknown') throw new UnknownHit();
};

export const unknown = (expr: string): Value => ({ t: 'unknown', expr });
export const lit = (v: number | string | boolean | null, o?: Origin): Value =>
  o ? { t: 'lit', v, o } : { t: 'lit', v };
export const list = (items: Value[]): Value => ({ t: 'list', items });
export const fail = (why: string): never => {
  throw new EvalFailure(why);
};

export function index(v: Value, key: string | number): Value | undefined {
  if (v.t === 'map') return v.items.get(String(key));
  if (v.t === 'list') {
    const n = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : NaN;
    return Number.isInteger(n) ? v.items[n] : undefined;
  }
  return undefined;
}

export function isNull(v: Value): boolean {
  return v.t === 'lit' && v.v === null;
}

export function asNumber(v: Value): number {
  need(v);
  if (v.t === 'lit' && typeof v.v === 'number') return v.v;
  if (v.t === 'lit' && typeof v.v === 'string' && v.v.trim() !== '' && Number.isFinite(Number(v.v))) return Number(v.v);
  return fail('a number is required');
}

export function asBool(v: Value): boolean {
  need(v);
  if (v.t === 'lit' && typeof v.v === 'boolean') return v.v;
  if (v.t === 'lit' && (v.v === 'true' || v.v === 'false')) return v.v === 'true';
  return fail('a bool is required');
}

export function asString(v: Value): string {
  need(v);
  if (v.t === 'lit' && v.v !== null) return String(v.v);
  return fail('a string is required');
}

/** Map entries in Terraform's order (keys sorted lexically), as `for`, `keys` and `values` see them. */
export function sortedEntries(v: Extract<Value, { t: 'map' }>): [string, Value][] {
  return [...v.items].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Deep equality; undefined when an unknown part decides it. Numbers and strings never equal. */
export function equal(a: Value, b: Value): boolean | undefined {
  if (a.t === 'unknown' || b.t === 'unknown') return undefined;
  if (isNull(a) || isNull(b)) return isNull(a) && isNull(b);
  if (a.t === 'lit' && b.t === 'lit') return a.v === b.v;
  if (a.t === 'list' && b.t === 'list') {
    if (a.items.length !== b.items.length) return false;
    let out: boolean | undefined = true;
    a.items.forEach((x, i) => {
      const r = equal(x, b.items[i]!);
      if (r === false) out = false;
      else if (r === undefined && out) out = undefined;
    });
    return out;
  }
  if (a.t === 'map' && b.t === 'map') {
    if (a.items.size !== b.items.size) return false;
    let out: boolean | undefined = true;
    for (const [k, x] of a.items) {
      const y = b.items.get(k);
      if (!y) return false;
      const r = equal(x, y);
      if (r === false) return false;
      if (r === undefined) out = undefined;
    }
    return out;
  }
  return false;
}

/** A Value → plain JSON (unknowns as `{ $expr }`), for JSON-shaped data such as container definitions. */
export function plain(v: Value): unknown {
  if (v.t === 'lit') return v.v;
  if (v.t === 'list') return v.items.map(plain);
  if (v.t === 'map') return Object.fromEntries([...v.items].map(([k, x]) => [k, plain(x)]));
  return { $expr: v.expr };
}

/** Plain JSON (e.g. JSON.parse of a heredoc) → Value. */
export function fromPlain(x: unknown): Value {
  if (Array.isArray(x)) return { t: 'list', items: x.map(fromPlain) };
  if (x !== null && typeof x === 'object') {
    return { t: 'map', items: new Map(Object.entries(x).map(([k, v]) => [k, fromPlain(v)])) };
  }
  if (typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean' || x === null) return { t: 'lit', v: x };
  return unknown(String(x));
}
