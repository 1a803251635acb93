// The instances of a resource or module block from its `count` / `for_each`, with the address
// suffix Terraform prints for each (`[0]`, `["web"]`) and the scope that binds `count.index` or
// `each.key` / `each.value` for it.
import type { Unresolved } from '../../types.js';
import { attr, iterate, type Block } from './block.js';
import type { Scope } from './eval.js';
import { lit } from './lang/values.js';

export type Expansion = { instances: { suffix: string; scope: Scope }[] } & (
  | { kind: 'single' | 'count' | 'unknown' }
  | { kind: 'for_each'; keys: string[] }
);

/**
 * The instances of a resource or module block: one without `count` / `for_each`; `[i]` for a
 * count, `["key"]` for a for_each. When the value cannot be evaluated, one unindexed instance
 * (the pipeline still joins the hosts of every indexed instance in state) and an unresolved
 * entry saying why.
 */
export function expand(b: Block, address: string, sink: Unresolved[]): Expansion {
  const count = attr(b, 'count');
  if (count) {
    const n = count.value.t === 'lit' ? Number(count.value.v) : NaN;
    if (Number.isInteger(n) && n >= 0) {
      const instances = Array.from({ length: n }, (_, i) => ({
        suffix: `[${i}]`,
        scope: { ...b.scope, count: lit(i) },
      }));
      return { kind: 'count', instances };
    }
    const source = { file: b.mf.file, line: count.line };
    sink.push({ resource: address, attribute: 'count', expression: count.expression, source });
    return { kind: 'unknown', instances: [{ suffix: '', scope: b.scope }] };
  }
  const forEach = attr(b, 'for_each');
  if (forEach) {
    const elements = iterate(forEach.value, true);
    if (elements) {
      const keys = elements.map((el) => (el.key.t === 'lit' ? String(el.key.v) : '?'));
      const instances = elements.map((el, i) => ({
        suffix: `[${JSON.stringify(keys[i])}]`,
        scope: { ...b.scope, each: el },
      }));
      return { kind: 'for_each', keys, instances };
    }
    const source = { file: b.mf.file, line: forEach.line };
    sink.push({ resource: address, attribute: 'for_each', expression: forEach.expression, source });
    return { kind: 'unknown', instances: [{ suffix: '', scope: b.scope }] };
  }
  return { kind: 'single', instances: [{ suffix: '', scope: b.scope }] };
}
