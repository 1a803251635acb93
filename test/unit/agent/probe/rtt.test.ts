import { describe, expect, it } from 'vitest';
import { RttEstimator } from '../../../../agent/probe/rtt.js';

describe('RttEstimator', () => {
  it('uses the fallback (or the cap) until the first sample', () => {
    const e = new RttEstimator(100, 1000);
    expect(e.timeout()).toBe(1000);
    expect(e.timeout(250)).toBe(250);
  });

  it('follows nmap: first sample srtt = d, rttvar = clamp(d, 5 ms, 2 s); timeout = srtt + 4·rttvar, clamped', () => {
    const e = new RttEstimator(1, 10_000);
    e.add(50);
    expect([e.srtt, e.rttvar]).toEqual([50, 50]);
    expect(e.timeout()).toBe(250);
    e.add(90);
    // srtt += 40/8; rttvar += (|40| − 50)/4
    expect(e.srtt).toBe(55);
    expect(e.rttvar).toBe(47.5);
    expect(e.timeout()).toBe(55 + 4 * 47.5);
    const tiny = new RttEstimator(1, 10_000);
    tiny.add(0.1);
    expect(tiny.rttvar).toBe(5);
  });

  it('clamps to the floor on a fast path and to the cap on a slow one', () => {
    const fast = new RttEstimator(100, 1000);
    for (let i = 0; i < 50; i++) fast.add(0.2);
    expect(fast.timeout()).toBe(100);
    const slow = new RttEstimator(100, 1000);
    slow.add(900);
    expect(slow.timeout()).toBe(1000);
  });

  it('ignores implausible samples (a stalled loop, a kernel retransmit)', () => {
    const e = new RttEstimator(1, 1000);
    e.add(Number.NaN);
    e.add(-1);
    e.add(9000);
    expect(e.samples).toBe(0);
  });
});
