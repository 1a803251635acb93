// Evaluating parsed expressions (ast.ts) as Terraform would before any apply: variables
// (defaults, tfvars, module inputs), locals, outputs of local modules, `count.index`,
// `each.key` / `each.value`, `dynamic` iterators and `for` symbols, with operators,
// conditionals, `for` expressions, splats and the functions of functions.ts. Branches not taken
// are not evaluated (as in HCL). What depends on something unknown is unknown, with its text.
import type { Expr } from '../hcl/ast.js';
import { callFunction } from './functions.js';
import {
  asBool,
  asNumber,
  asString,
  equal,
  EvalFailure,
  fail,
  index,
  isNull,
  lit,
  sortedEntries,
  unknown,
  UnknownHit,
  type Origin,
  type Value,
} from './values.js';

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
  /** The outputs of a module call (a map; a list / map of them with count / for_each). */
  module?(name: string): Value | undefined;
  count?: Value;
  each?: { key: Value; value: Value };
  /** Iterators of enclosing `dynamic` blocks, by name. */
  iterators?: ReadonlyMap<string, { key: Value; value: Value }>;
  /** Symbols of enclosing `for` expressions. */
  names?: ReadonlyMap<string, Value>;
}

/** `e` evaluated; a failure (missing key, wrong type) is reported like an unknown, with its text. */
export function evaluate(e: Expr, scope: Scope, w: Writer): Value {
  try {
    return ev(e, scope, w);
  } catch (err) {
    if (err instanceof EvalFailure || err instanceof UnknownHit) return unknown(e.text);
    throw err;
  }
}

export function ev(e: Expr, scope: Scope, w: Writer, item?: Value): Value {
  switch (e.k) {
    case 'lit': {
      const line = e.at >= 0 && w.lineAt ? w.lineAt(e.at) : w.line;
      const o: Origin = { kind: w.kind, file: w.file, line, text: e.raw.trim() };
      if (w.name !== undefined) o.name = w.name;
      return { t: 'lit', v: e.v, o };
    }
    case 'tuple':
      return { t: 'list', items: e.items.map((x) => ev(x, scope, w)) };
    case 'object': {
      const items = new Map<string, Value>();
      for (const x of e.items) {
        const k = ev(x.key, scope, w);
        if (k.t === 'unknown') return unknown(e.text);
        items.set(asString(k), ev(x.value, scope, w));
      }
      return { t: 'map', items };
    }
    case 'name':
      return root(e.name, scope) ?? unknown(e.text);
    case 'item':
      return item ?? fail('splat item');
    case 'attr':
      return traverse(e.obj, e.name, e.text, scope, w, item);
    case 'index': {
      const k = ev(e.key, scope, w, item);
      if (k.t === 'unknown') return unknown(e.text);
      if (k.t !== 'lit' || k.v === null || typeof k.v === 'boolean') return fail('index');
      return traverse(e.obj, k.v, e.text, scope, w, item);
    }
    case 'splat': {
      const v = ev(e.obj, scope, w, item);
      if (v.t === 'unknown') return unknown(e.text);
      const items = v.t === 'list' ? v.items : isNull(v) ? [] : [v];
      return { t: 'list', items: items.map((x) => (x.t === 'unknown' ? unknown(e.text) : ev(e.each, scope, w, x))) };
    }
    case 'call':
      return call(e, scope, w);
    case 'template': {
      let out = '';
      for (const p of e.parts) {
        if (typeof p === 'string') out += p;
        else {
          const v = ev(p, scope, w);
          if (v.t === 'unknown') return unknown(e.text);
          if (v.t !== 'lit' || v.v === null) return fail('template value');
          out += String(v.v);
        }
      }
      return { t: 'lit', v: out };
    }
    case 'unary': {
      const x = ev(e.x, scope, w);
      if (x.t === 'unknown') return unknown(e.text);
      return e.op === '!' ? lit(!asBool(x)) : lit(-asNumber(x));
    }
    case 'binary':
      return binary(e, scope, w);
    case 'cond': {
      const c = ev(e.c, scope, w);
      if (c.t === 'unknown') return unknown(e.text);
      const v = ev(asBool(c) ? e.t : e.f, scope, w);
      return v.t === 'unknown' ? unknown(e.text) : v;
    }
    case 'for':
      return forExpr(e, scope, w);
    case 'raw':
      return unknown(e.text);
  }
}

/** The value of a root name; undefined when it is not known statically (resources, data sources, path). */
function root(name: string, scope: Scope): Value | undefined {
  const own = scope.names?.get(name);
  if (own) return own;
  const iter = scope.iterators?.get(name);
  if (iter)
    return {
      t: 'map',
      items: new Map([
        ['key', iter.key],
        ['value', iter.value],
      ]),
    };
  if (name === 'var') return { t: 'map', items: new Map(scope.vars) };
  if (name === 'each' && scope.each) {
    return {
      t: 'map',
      items: new Map([
        ['key', scope.each.key],
        ['value', scope.each.value],
      ]),
    };
  }
  if (name === 'count' && scope.count) return { t: 'map', items: new Map([['index', scope.count]]) };
  return undefined;
}

function traverse(
  objExpr: Expr,
  key: string | number,
  text: string,
  scope: Scope,
  w: Writer,
  item: Value | undefined,
): Value {
  // `local.x` and `module.x` are looked up by name (lazily: a local is evaluated when used).
  if (objExpr.k === 'name' && !scope.names?.has(objExpr.name)) {
    if (objExpr.name === 'local') return known(scope.local(String(key)), text);
    if (objExpr.name === 'module') return known(scope.module?.(String(key)), text);
    if (objExpr.name === 'var') return known(scope.vars.get(String(key)), text);
  }
  const obj = ev(objExpr, scope, w, item);
  if (obj.t === 'unknown') return unknown(text);
  if (isNull(obj)) return fail('attribute of null');
  const v = index(obj, key);
  if (v === undefined) return fail(`no element ${key}`);
  return v.t === 'unknown' ? unknown(text) : v;
}

const known = (v: Value | undefined, text: string): Value => (!v || v.t === 'unknown' ? unknown(text) : v);

function binary(e: Extract<Expr, { k: 'binary' }>, scope: Scope, w: Writer): Value {
  const l = ev(e.l, scope, w);
  // && and || decide on a known left side without looking at the right one.
  if (e.op === '&&' || e.op === '||') {
    if (l.t !== 'unknown' && asBool(l) === (e.op === '||')) return lit(e.op === '||');
    const r = ev(e.r, scope, w);
    if (r.t !== 'unknown' && asBool(r) === (e.op === '||')) return lit(e.op === '||');
    return l.t === 'unknown' || r.t === 'unknown' ? unknown(e.text) : lit(e.op === '&&');
  }
  const r = ev(e.r, scope, w);
  if (e.op === '==' || e.op === '!=') {
    const eq = equal(l, r);
    return eq === undefined ? unknown(e.text) : lit(e.op === '==' ? eq : !eq);
  }
  if (l.t === 'unknown' || r.t === 'unknown') return unknown(e.text);
  const a = asNumber(l);
  const b = asNumber(r);
  switch (e.op) {
    case '+':
      return lit(a + b);
    case '-':
      return lit(a - b);
    case '*':
      return lit(a * b);
    case '/':
      return b === 0 ? fail('division by zero') : lit(a / b);
    case '%':
      return b === 0 ? fail('division by zero') : lit(a % b);
    case '<':
      return lit(a < b);
    case '>':
      return lit(a > b);
    case '<=':
      return lit(a <= b);
    default:
      return lit(a >= b);
  }
}

function forExpr(e: Extract<Expr, { k: 'for' }>, scope: Scope, w: Writer): Value {
  const coll = ev(e.coll, scope, w);
  if (coll.t === 'unknown') return unknown(e.text);
  if (coll.t === 'lit') return fail('for over a non-collection');
  const elements: [Value, Value][] =
    coll.t === 'list' ? coll.items.map((v, i) => [lit(i), v]) : sortedEntries(coll).map(([k, v]) => [lit(k), v]);
  const outList: Value[] = [];
  const outMap = new Map<string, Value>();
  for (const [k, v] of elements) {
    const names = new Map(scope.names ?? []);
    if (e.keyVar) names.set(e.keyVar, k);
    names.set(e.valVar, v);
    const inner: Scope = { ...scope, names };
    let keep = true;
    if (e.cond) {
      const c = ev(e.cond, inner, w);
      // An element whose filter is unknown: a tuple's positions are unknown, so the tuple is; an
      // object entry keeps its key with an unknown value (it is reported wherever it is used).
      if (c.t === 'unknown') {
        if (!e.key) return unknown(e.text);
        const key = ev(e.key, inner, w);
        if (key.t === 'unknown') return unknown(e.text);
        outMap.set(asString(key), unknown(e.text));
        continue;
      }
      keep = asBool(c);
    }
    if (!keep) continue;
    if (!e.key) {
      outList.push(ev(e.value, inner, w));
      continue;
    }
    const key = ev(e.key, inner, w);
    if (key.t === 'unknown') return unknown(e.text);
    const name = asString(key);
    const value = ev(e.value, inner, w);
    if (e.group) {
      const prev = outMap.get(name);
      if (prev?.t === 'list') prev.items.push(value);
      else outMap.set(name, { t: 'list', items: [value] });
    } else if (outMap.has(name) && outMap.get(name)!.t !== 'unknown') fail(`duplicate key ${name}`);
    else outMap.set(name, value);
  }
  return e.key ? { t: 'map', items: outMap } : { t: 'list', items: outList };
}

function call(e: Extract<Expr, { k: 'call' }>, scope: Scope, w: Writer): Value {
  // try / can look at failures of their arguments, so they evaluate them themselves.
  if (e.name === 'try') {
    for (const a of e.args) {
      try {
        const v = ev(a, scope, w);
        return v.t === 'unknown' ? unknown(e.text) : v;
      } catch (err) {
        if (err instanceof UnknownHit) return unknown(e.text);
        if (!(err instanceof EvalFailure)) throw err;
      }
    }
    return fail('no argument of try succeeded');
  }
  if (e.name === 'can') {
    try {
      const v = ev(e.args[0] ?? { k: 'raw', text: '' }, scope, w);
      return v.t === 'unknown' ? unknown(e.text) : lit(true);
    } catch (err) {
      if (err instanceof UnknownHit) return unknown(e.text);
      if (!(err instanceof EvalFailure)) throw err;
      return lit(false);
    }
  }
  let args = e.args.map((a) => ev(a, scope, w));
  if (e.expand) {
    const last = args[args.length - 1];
    if (last?.t === 'unknown') return unknown(e.text);
    if (last?.t !== 'list') return fail('expansion of a non-list');
    args = [...args.slice(0, -1), ...last.items];
  }
  return callFunction(e.name, args, e.text);
}
