import { describe, expect, it } from 'vitest';
import { backoffDelay, jitterInterval, sleep } from '../../../../agent/daemon/backoff.js';

describe('backoff', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(3, opts, () => 0)).toBe(0);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(400);
  });

  it('jitters the interval by ±10 % by default', () => {
    expect(jitterInterval(1000, 0.1, () => 0)).toBe(900);
    expect(jitterInterval(1000, 0.1, () => 1)).toBe(1100);
    expect(jitterInterval(1000, 0.1, () => 0.5)).toBe(1000);
    const seen = new Set(Array.from({ length: 50 }, () => jitterInterval(60_000)));
    expect(seen.size).toBeGreaterThan(10);
    for (const v of seen) expect(v >= 54_000 && v <= 66_000).toBe(true);
  });

  it('sleeps, and wakes early on abort', async () => {
    expect(await sleep(5)).toBe(true);
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 20);
    expect(await sleep(10_000, ac.signal)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await sleep(10_000, ac.signal)).toBe(false);
  });
});
