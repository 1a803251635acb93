// Evaluating parsed expressions (expr.ts) against what a module knows statically: variables
// (defaults, tfvars, module inputs), locals, `count.index`, `each.key` / `each.value` and the
// iterators of `dynamic` blocks. Every literal carries the place it is written (its origin), so
// a value keeps pointing at its variable default or tfvars line however many references it
// passes through. What cannot be known here (other resources' attributes, data sources, module
// outputs, operators) becomes `unknown` with its text: reported, never guessed.
import type { ValueOrigin } from '../../types.js';
import type { Expr } from './expr.js';

export type Origin = Omit<ValueOrigin, 'sharedWith'>;

export type Value =
  | { t: 'lit'; v: number | string | boolean | null; o?: Origin }
  | { t: 'list'; items: Value[] }
  | { t: 'map'; items: Map<string, Value> }
  | { t: 'unknown'; expr: string };

/** Where the literals of the expression being evaluated are written. */
export interface Writer {
  kind: Origin['kind'];
  file: string;
  name?: string;
  lineAt: ((offset: number) => number) | undefined;
  /** Line used when offsets are unknown (`.tf.json`). */
  line: number;
}

export interface Scope {
  vars: ReadonlyMap<string, Value>;
  local(name: string): Value | undefined;
  count?: Value;
  each?: { key: Value; value: Value };
  /** Iterators of enclosing `dynamic` blocks, by name. */
  iterators?: ReadonlyMap<string, { key: Value; value: Value }>;
}

export const unknown = (expr: string): Value => ({ t: 'unknown', expr });

export function evaluate(e: Expr, scope: Scope, w: Writer): Value {
  switch (e.k) {
    case 'lit': {
      const o: Origin = { kind: w.kind, file: w.file, line: e.at >= 0 && w.lineAt ? w.lineAt(e.at) : w.line, text: e.raw.trim() };
      if (w.name !== undefined) o.name = w.name;
      return { t: 'lit', v: e.v, o };
    }
    case 'tuple':
      return { t: 'list', items: e.items.map((x) => evaluate(x, scope, w)) };
    case 'object':
      return { t: 'map', items: new Map(e.items.map((x) => [x.key, evaluate(x.value, scope, w)])) };
    case 'ref':
      return reference(e.parts, e.text, scope);
    case 'call':
      return call(e, scope, w);
    case 'template': {
      let out = '';
      for (const p of e.parts) {
        if (typeof p === 'string') out += p;
        else {
          const v = evaluate(p, scope, w);
          if (v.t !== 'lit' || v.v === null || typeof v.v === 'boolean') return unknown(e.text);
          out += String(v.v);
        }
      }
      return { t: 'lit', v: out };
    }
    case 'raw':
      return unknown(e.text);
  }
}

function reference(parts: readonly (string | number | Expr)[], text: string, scope: Scope): Value {
  const [root, first, ...rest] = parts;
  let base: Value | undefined;
  let path = rest;
  if (root === 'var' && typeof first === 'string') base = scope.vars.get(first);
  else if (root === 'local' && typeof first === 'string') base = scope.local(first);
  else if (root === 'count' && first === 'index') base = scope.count;
  else if (root === 'each' && (first === 'key' || first === 'value')) base = scope.each?.[first];
  else if (typeof root === 'string' && (first === 'key' || first === 'value') && scope.iterators?.has(root)) base = scope.iterators.get(root)![first];
  else path = [];
  if (!base) return unknown(text);
  for (const part of path) {
    let key: string | number;
    if (typeof part === 'object') {
      const k = part.k === 'ref' ? reference(part.parts, part.text, scope) : unknown(text);
      if (k.t !== 'lit' || (typeof k.v !== 'string' && typeof k.v !== 'number')) return unknown(text);
      key = k.v;
    } else key = part;
    base = index(base, key);
    if (!base) return unknown(text);
  }
  return base.t === 'unknown' ? unknown(text) : base;
}

export function index(v: Value, key: string | number): Value | undefined {
  if (v.t === 'map') return v.items.get(String(key));
  if (v.t === 'list' && typeof key === 'number') return v.items[key];
  return undefined;
}

function call(e: Extract<Expr, { k: 'call' }>, scope: Scope, w: Writer): Value {
  const args = e.args.map((a) => evaluate(a, scope, w));
  if (args.some((a) => a.t === 'unknown')) return unknown(e.text);
  switch (e.name) {
    // Type conversions keep the value (and its origin): `tonumber("5432")` is still written there.
    case 'jsonencode':
    case 'tonumber':
    case 'tostring':
    case 'toset':
    case 'tolist':
    case 'tomap':
      return args.length === 1 ? (e.name === 'toset' ? dedupe(args[0]!) : args[0]!) : unknown(e.text);
    case 'length':
      return args[0]?.t === 'list' ? { t: 'lit', v: args[0].items.length } : args[0]?.t === 'map' ? { t: 'lit', v: args[0].items.size } : unknown(e.text);
    case 'lookup': {
      const found = args[0] && args[1]?.t === 'lit' ? index(args[0], String(args[1].v)) : undefined;
      return found ?? args[2] ?? unknown(e.text);
    }
    case 'merge': {
      const items = new Map<string, Value>();
      for (const a of args) {
        if (a.t !== 'map') return unknown(e.text);
        a.items.forEach((v, k) => items.set(k, v));
      }
      return { t: 'map', items };
    }
    case 'concat': {
      const items: Value[] = [];
      for (const a of args) {
        if (a.t !== 'list') return unknown(e.text);
        items.push(...a.items);
      }
      return { t: 'list', items };
    }
    default:
      return unknown(e.text);
  }
}

function dedupe(v: Value): Value {
  if (v.t !== 'list') return v;
  const seen = new Set<string>();
  return { t: 'list', items: v.items.filter((x) => (x.t === 'lit' ? !seen.has(String(x.v)) && !!seen.add(String(x.v)) : true)) };
}

/** A Value → plain JSON (unknowns as `{ $expr }`), for JSON-shaped data such as container definitions. */
export function plain(v: Value): unknown {
  if (v.t === 'lit') return v.v;
  if (v.t === 'list') return v.items.map(plain);
  if (v.t === 'map') return Object.fromEntries([...v.items].map(([k, x]) => [k, plain(x)]));
  return { $expr: v.expr };
}

/** Plain JSON (e.g. JSON.parse of a heredoc) → Value; literals get `o` when given. */
export function fromPlain(x: unknown): Value {
  if (Array.isArray(x)) return { t: 'list', items: x.map(fromPlain) };
  if (x !== null && typeof x === 'object') return { t: 'map', items: new Map(Object.entries(x).map(([k, v]) => [k, fromPlain(v)])) };
  if (typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean' || x === null) return { t: 'lit', v: x };
  return unknown(String(x));
}
