// Per-address pacing and work order (host.ts) and fairness between addresses (rotation.ts),
// with time given by hand.
import { describe, expect, it } from 'vitest';
import { CHUNK, DROP_RATIO, HostState } from '../../../../agent/probe/host.js';
import { newShardHost } from '../../../../agent/probe/hosts.js';
import { Rotation } from '../../../../agent/probe/rotation.js';
import type { ShardSettings } from '../../../../agent/probe/shard-types.js';
import { settings as base } from './settings.js';

/** Small cwnds, so a few starts reach the bounds. */
const settings = (o: Partial<ShardSettings> = {}): ShardSettings => base({ cwndInit: 4, cwndMin: 1, cwndMax: 8, ...o });
const state = (n: number, s = settings(), index = 0, now = 0) => {
  const ports = Uint16Array.from({ length: n }, (_, i) => i + 1);
  return new HostState(index, newShardHost(`127.0.0.${index + 1}`, 4, ports), s, now);
};

describe('HostState pacing', () => {
  it('cwnd bounds the young probes in flight; probes counted old at the current tick do not load the address', () => {
    const h = state(100);
    for (let i = 0; i < 4; i++) h.started(h.takeWork(0));
    expect(h.canStart(0, 0)).toBe(false);
    // The tick (epoch 1) found 3 of them older than OLD_MS.
    h.epoch = 1;
    h.old = 3;
    expect(h.canStart(0, 1)).toBe(true);
    // At a later tick that count is stale until the walk refreshes it.
    expect(h.canStart(0, 2)).toBe(false);
  });

  it('the rate bucket: a burst of rate/50 at once, then rate/1000 tokens per ms', () => {
    const h = state(100, settings({ perHostRate: 100, cwndInit: 100 })); // burst 2, one per 10 ms
    h.started(h.takeWork(0));
    h.started(h.takeWork(0));
    expect(h.canStart(0, 0)).toBe(false);
    expect(h.canStart(9, 0)).toBe(false);
    expect(h.canStart(10, 0)).toBe(true);
  });

  it('answers open the cwnd up to its max; first tries lost above the drop ratio halve it down to its min', () => {
    const h = state(10);
    for (let i = 0; i < 10; i++) h.answered(false);
    expect(h.cwnd).toBe(8);
    let halvings = 0;
    for (let i = 0; i < 20 && h.cwnd > 1; i++) {
      const before = h.cwnd;
      h.firstTryLost();
      if (h.cwnd < before) halvings++;
      if (halvings === 1) expect(h.dropEwma).toBeGreaterThan(DROP_RATIO);
    }
    expect(h.cwnd).toBe(1);
    h.firstTryLost();
    expect(h.cwnd).toBe(1);
  });

  it('takes work in order: requeued probes, then due retries, then fresh positions claimed in chunks', () => {
    const h = state(200);
    expect(h.takeWork(0)).toBe(0);
    expect(h.h.cursor[0]).toBe(CHUNK);
    h.retry.push(0, 50);
    h.requeue.push(1);
    expect(h.takeWork(0)).toBe(1); // requeued
    expect(h.takeWork(0)).toBe(1); // fresh: the retry is not due before 50 ms
    expect(h.takeWork(50)).toBe(0); // the due retry
    for (let i = 2; i < CHUNK; i++) h.takeWork(0);
    expect(h.takeWork(0)).toBe(CHUNK);
    expect(h.h.cursor[0]).toBe(2 * CHUNK);
  });

  it('another shard claiming the last chunk leaves nothing fresh here', () => {
    const h = state(10);
    Atomics.store(h.h.cursor, 0, 10);
    expect(h.hasFresh()).toBe(false);
    expect(h.takeFresh()).toBe(-1);
    expect(h.hasWork()).toBe(false);
  });

  it('an address with a config error has no work and starts nothing', () => {
    const h = state(10);
    h.configError = 'EINVAL: x cannot be probed from here';
    expect(h.hasWork()).toBe(false);
    expect(h.canStart(0, 0)).toBe(false);
  });
});

describe('Rotation', () => {
  it('deals starts round-robin over the addresses, skipping one whose pacing says wait', () => {
    const s = settings({ cwndInit: 1 });
    const hosts = [state(10, s, 0), state(10, s, 1), state(10, s, 2)];
    const r = new Rotation(hosts);
    const picks: number[] = [];
    for (let i = 0; i < 3; i++) {
      const h = r.pick(0, 0)!;
      picks.push(h.index);
      h.started(h.takeWork(0));
    }
    expect(picks).toEqual([0, 1, 2]);
    expect(r.pick(0, 0)).toBeNull(); // every cwnd of 1 is full
    hosts[1]!.inflight--;
    expect(r.pick(0, 0)!.index).toBe(1);
  });

  it('leaves out empty addresses, prunes finished ones and takes them back when work reappears', () => {
    const hosts = [state(0, settings(), 0), state(1, settings(), 1)];
    const r = new Rotation(hosts);
    expect(r.active.map((h) => h.index)).toEqual([1]);
    const h = hosts[1]!;
    h.started(h.takeWork(0));
    r.prune();
    expect(r.active.length).toBe(1); // in flight
    h.inflight--;
    r.prune();
    expect(r.active.length).toBe(0);
    expect(h.isActive).toBe(false);
    h.retry.push(0, 0);
    r.reactivate(h);
    r.reactivate(h);
    expect(r.active.length).toBe(1);
    expect(r.hasWork()).toBe(true);
  });
});
