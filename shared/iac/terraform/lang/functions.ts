// Terraform's built-in functions that have a static answer. Arguments arrive evaluated; one that
// is wholly unknown makes the result unknown (as in Terraform), except where the function looks
// only at what is known (`length` of a list with unknown items). Type conversions keep the
// value's origin: `tonumber("5432")` is still written where "5432" is. Functions not listed
// here (file, templatefile, timestamp, cidrsubnet, provider functions, …) are unknown.
import {
  asBool,
  asNumber,
  asString,
  equal,
  fail,
  fromPlain,
  isNull,
  lit,
  list,
  sortedEntries,
  unknown,
  UnknownHit,
  type Value,
} from './values.js';

type Fn = (a: Value[]) => Value;

const same = (v: Value, x: number | string | boolean | null): Value => (v.t === 'lit' ? lit(x, v.o) : lit(x));
const listOf = (v: Value | undefined): Value[] =>
  v?.t === 'list' ? v.items : v?.t === 'unknown' ? hit() : fail('a list is required');
const mapOf = (v: Value | undefined): Extract<Value, { t: 'map' }> =>
  v?.t === 'map' ? v : v?.t === 'unknown' ? hit() : fail('a map is required');
const hit = (): never => {
  throw new UnknownHit();
};
const arg = (a: Value[], i: number): Value => a[i] ?? fail('missing argument');

function distinct(items: Value[]): Value[] {
  const out: Value[] = [];
  for (const x of items) {
    if (out.some((y) => equal(x, y) === true)) continue;
    out.push(x);
  }
  return out;
}

function flatten(items: Value[]): Value[] {
  return items.flatMap((x) => (x.t === 'list' ? flatten(x.items) : [x]));
}

function tostring(v: Value): Value {
  if (v.t !== 'lit') return fail('tostring of a collection');
  return v.v === null ? v : same(v, typeof v.v === 'string' ? v.v : String(v.v));
}

function format(a: Value[]): Value {
  const spec = asString(arg(a, 0));
  let n = 1;
  let failed = false;
  const out = spec.replace(/%(%|[-+ #0]*\d*(?:\.\d+)?[sdvqft])/g, (m, conv: string) => {
    if (conv === '%') return '%';
    const v = a[n++];
    const c = conv[conv.length - 1];
    if (v?.t !== 'lit' || v.v === null || !/^[sdv]$/.test(c!) || conv.length > 1) {
      failed = true;
      return m;
    }
    return c === 'd' ? String(Math.trunc(asNumber(v))) : String(v.v);
  });
  return failed ? fail('format verb not supported') : lit(out);
}

export const FUNCTIONS: Record<string, Fn> = {
  // jsonencode keeps the structure: container definitions are read from it as data.
  jsonencode: (a) => arg(a, 0),
  jsondecode: (a) => {
    try {
      return fromPlain(JSON.parse(asString(arg(a, 0))));
    } catch {
      return fail('invalid JSON');
    }
  },
  tonumber: (a) => {
    const v = arg(a, 0);
    return isNull(v) ? v : same(v, asNumber(v));
  },
  tostring: (a) => tostring(arg(a, 0)),
  tobool: (a) => {
    const v = arg(a, 0);
    return isNull(v) ? v : same(v, asBool(v));
  },
  toset: (a) => list(distinct(listOf(a[0]))),
  tolist: (a) => list(listOf(a[0])),
  tomap: (a) => mapOf(a[0]),
  sensitive: (a) => arg(a, 0),
  nonsensitive: (a) => arg(a, 0),
  length: (a) => {
    const v = arg(a, 0);
    if (v.t === 'list') return lit(v.items.length);
    if (v.t === 'map') return lit(v.items.size);
    return lit([...asString(v)].length);
  },
  lookup: (a) => {
    const found = mapOf(a[0]).items.get(asString(arg(a, 1)));
    return found ?? a[2] ?? fail('lookup: no such key');
  },
  element: (a) => {
    const items = listOf(a[0]);
    if (items.length === 0) return fail('element of an empty list');
    const i = asNumber(arg(a, 1));
    return items[((i % items.length) + items.length) % items.length]!;
  },
  index: (a) => {
    const i = listOf(a[0]).findIndex((x) => equal(x, arg(a, 1)) === true);
    return i === -1 ? fail('index: not found') : lit(i);
  },
  contains: (a) => {
    const r = listOf(a[0]).map((x) => equal(x, arg(a, 1)));
    return r.includes(true) ? lit(true) : r.includes(undefined) ? unknown('contains') : lit(false);
  },
  keys: (a) => list(sortedEntries(mapOf(a[0])).map(([k]) => lit(k))),
  values: (a) => list(sortedEntries(mapOf(a[0])).map(([, v]) => v)),
  merge: (a) => {
    const items = new Map<string, Value>();
    for (const m of a) if (!isNull(m)) mapOf(m).items.forEach((v, k) => items.set(k, v));
    return { t: 'map', items };
  },
  concat: (a) => list(a.flatMap((x) => listOf(x))),
  flatten: (a) => list(flatten(listOf(a[0]))),
  distinct: (a) => list(distinct(listOf(a[0]))),
  compact: (a) => list(listOf(a[0]).filter((x) => !(x.t === 'lit' && (x.v === null || x.v === '')))),
  coalesce: (a) => {
    for (const v of a) {
      if (v.t === 'unknown') return v;
      if (!isNull(v) && !(v.t === 'lit' && v.v === '')) return v;
    }
    return fail('coalesce: no non-null argument');
  },
  coalescelist: (a) => a.find((v) => v.t === 'list' && v.items.length > 0) ?? fail('coalescelist: all empty'),
  zipmap: (a) => {
    const ks = listOf(a[0]);
    const vs = listOf(a[1]);
    if (ks.length !== vs.length) return fail('zipmap: lengths differ');
    return { t: 'map', items: new Map(ks.map((k, i) => [asString(k), vs[i]!])) };
  },
  one: (a) => {
    const items = listOf(a[0]);
    return items.length === 0 ? lit(null) : items.length === 1 ? items[0]! : fail('one: more than one element');
  },
  sort: (a) => {
    const items = listOf(a[0]).map((x) => [asString(x), x] as const);
    return list(items.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, x]) => x));
  },
  reverse: (a) => list([...listOf(a[0])].reverse()),
  slice: (a) => list(listOf(a[0]).slice(asNumber(arg(a, 1)), asNumber(arg(a, 2)))),
  range: (a) => {
    const [start, end, step] =
      a.length === 1 ? [0, asNumber(a[0]!), 1] : [asNumber(arg(a, 0)), asNumber(arg(a, 1)), a[2] ? asNumber(a[2]) : 1];
    if (step === 0 || Math.abs((end - start) / step) > 1024) return fail('range too large');
    const out: Value[] = [];
    for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(lit(i));
    return list(out);
  },
  setproduct: (a) => {
    let out: Value[][] = [[]];
    for (const x of a) out = out.flatMap((prefix) => listOf(x).map((v) => [...prefix, v]));
    return out.length > 4096 ? fail('setproduct too large') : list(out.map(list));
  },
  setunion: (a) => list(distinct(a.flatMap((x) => listOf(x)))),
  alltrue: (a) => lit(listOf(a[0]).every((x) => asBool(x))),
  anytrue: (a) => lit(listOf(a[0]).some((x) => asBool(x))),
  join: (a) =>
    lit(
      listOf(a[1])
        .map(asString)
        .join(asString(arg(a, 0))),
    ),
  split: (a) =>
    list(
      asString(arg(a, 1))
        .split(asString(arg(a, 0)))
        .map((s) => lit(s)),
    ),
  upper: (a) => lit(asString(arg(a, 0)).toUpperCase()),
  lower: (a) => lit(asString(arg(a, 0)).toLowerCase()),
  trimspace: (a) => lit(asString(arg(a, 0)).trim()),
  startswith: (a) => lit(asString(arg(a, 0)).startsWith(asString(arg(a, 1)))),
  endswith: (a) => lit(asString(arg(a, 0)).endsWith(asString(arg(a, 1)))),
  replace: (a) => {
    const search = asString(arg(a, 1));
    // A /regex/ search follows RE2's syntax: not evaluated here.
    if (search.length > 1 && search.startsWith('/') && search.endsWith('/')) return unknown('replace');
    return lit(
      asString(arg(a, 0))
        .split(search)
        .join(asString(arg(a, 2))),
    );
  },
  format,
  min: (a) => lit(Math.min(...a.map(asNumber))),
  max: (a) => lit(Math.max(...a.map(asNumber))),
  abs: (a) => lit(Math.abs(asNumber(arg(a, 0)))),
  floor: (a) => lit(Math.floor(asNumber(arg(a, 0)))),
  ceil: (a) => lit(Math.ceil(asNumber(arg(a, 0)))),
  sum: (a) => lit(listOf(a[0]).reduce((s, x) => s + asNumber(x), 0)),
};

export function callFunction(name: string, args: Value[], text: string): Value {
  const fn = FUNCTIONS[name];
  if (!fn || args.some((x) => x.t === 'unknown')) return unknown(text);
  try {
    const v = fn(args);
    return v.t === 'unknown' ? unknown(text) : v;
  } catch (err) {
    if (err instanceof UnknownHit) return unknown(text);
    throw err;
  }
}
