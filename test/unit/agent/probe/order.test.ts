import { describe, expect, it } from 'vitest';
import { probeOrder } from '../../../../agent/probe/order.js';

describe('probeOrder', () => {
  it('puts declared ports first, in the given order, without duplicates', () => {
    const { ports, declared } = probeOrder([5432, 22, 5432], [1, 2, 22, 3, 4, 5432, 5]);
    expect(declared).toBe(2);
    expect([...ports.slice(0, 2)]).toEqual([5432, 22]);
    expect([...ports.slice(2)].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  });

  it('shuffles discovery so a filtered range does not arrive as one burst', () => {
    const all = Array.from({ length: 1000 }, (_, i) => i + 1);
    const { ports } = probeOrder([], all);
    expect(new Set(ports).size).toBe(1000);
    const inOrder = [...ports].filter((p, i) => p === i + 1).length;
    expect(inOrder).toBeLessThan(50);
    // The last tenth of the range (a typical DROPped block) is spread over the whole order.
    const firstHalf = [...ports.slice(0, 500)].filter((p) => p > 900).length;
    expect(firstHalf).toBeGreaterThan(20);
    expect(firstHalf).toBeLessThan(80);
  });

  it('is deterministic for a given random source', () => {
    let x = 1;
    const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
    const a = probeOrder([1], [2, 3, 4, 5, 6], rnd).ports;
    x = 1;
    const b = probeOrder([1], [2, 3, 4, 5, 6], rnd).ports;
    expect([...a]).toEqual([...b]);
  });
});
