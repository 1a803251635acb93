// A variable's `type` applied to its value, as Terraform converts module inputs: attributes of
// `object({...})` that are left out become null, or the default of `optional(type, default)`;
// primitives convert (`optional(string)` turns 3000 into "3000", "80" becomes a number where a
// number is declared). Modules written with typed variables read `each.value.ip_protocol`
// relying on exactly this. Values that do not fit are left as they are: Terraform would refuse
// them, and the ports found in them are still reported.
import type { Expr } from '../hcl/ast.js';
import { lit, type Value } from './values.js';

/** `v` converted to the type written as `t`; `defaultOf` evaluates an `optional` default. */
export function convert(v: Value, t: Expr, defaultOf: (e: Expr) => Value): Value {
  if (v.t === 'unknown' || (v.t === 'lit' && v.v === null)) return v;
  if (t.k === 'name') return primitive(v, t.name);
  if (t.k !== 'call') return v;
  const [inner] = t.args;
  switch (t.name) {
    case 'list':
    case 'set':
      return v.t === 'list' && inner ? { t: 'list', items: v.items.map((x) => convert(x, inner, defaultOf)) } : v;
    case 'map':
      if (v.t !== 'map' || !inner) return v;
      return { t: 'map', items: new Map([...v.items].map(([k, x]) => [k, convert(x, inner, defaultOf)])) };
    case 'tuple':
      if (v.t !== 'list' || inner?.k !== 'tuple') return v;
      return { t: 'list', items: v.items.map((x, i) => (inner.items[i] ? convert(x, inner.items[i]!, defaultOf) : x)) };
    case 'object':
      return v.t === 'map' && inner?.k === 'object' ? object(v, inner, defaultOf) : v;
    default:
      return v;
  }
}

function object(
  v: Extract<Value, { t: 'map' }>,
  spec: Extract<Expr, { k: 'object' }>,
  defaultOf: (e: Expr) => Value,
): Value {
  const items = new Map(v.items);
  for (const { key, value: type } of spec.items) {
    if (key.k !== 'lit') continue;
    const name = String(key.v);
    const optional = type.k === 'call' && type.name === 'optional';
    const attrType = optional ? type.args[0] : type;
    const given = items.get(name);
    if (given === undefined || (given.t === 'lit' && given.v === null)) {
      if (!optional) continue;
      const def = type.args[1] ? defaultOf(type.args[1]) : lit(null);
      items.set(name, attrType ? convert(def, attrType, defaultOf) : def);
    } else if (attrType) items.set(name, convert(given, attrType, defaultOf));
  }
  return { t: 'map', items };
}

function primitive(v: Value, name: string): Value {
  if (v.t !== 'lit') return v;
  const x = v.v;
  if (name === 'string' && (typeof x === 'number' || typeof x === 'boolean')) return lit(String(x), v.o);
  const numeric = typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x));
  if (name === 'number' && numeric) return lit(Number(x), v.o);
  if (name === 'bool' && (x === 'true' || x === 'false')) return lit(x === 'true', v.o);
  return v;
}
