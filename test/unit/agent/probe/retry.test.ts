// The retry pass (retry.ts), and what a shard reports (results.ts), on a manual clock.
import { describe, expect, it } from 'vitest';
import { HostState } from '../../../../agent/probe/host.js';
import { newShardHost } from '../../../../agent/probe/hosts.js';
import { ShardResults } from '../../../../agent/probe/results.js';
import { DEEPEN_MAX, RetryPass, RetryQueue } from '../../../../agent/probe/retry.js';
import { Rotation } from '../../../../agent/probe/rotation.js';
import { Code, type ShardHost } from '../../../../agent/probe/shard-types.js';
import { ManualClock } from './manual.js';
import { SMALL } from './settings.js';

const s = SMALL;

function setup(retries = 1, shared?: ShardHost) {
  const clock = new ManualClock();
  const h = new HostState(0, shared ?? newShardHost('127.0.0.1', 4, new Uint16Array(4)), { ...s, retries }, 0);
  const rotation = new Rotation([h]);
  return { clock, h, rotation, pass: new RetryPass(retries, clock, rotation) };
}

describe('RetryQueue', () => {
  it('gives back waiting probes oldest first, each once it is due', () => {
    const q = new RetryQueue(1);
    q.push(3, 100);
    q.push(1, 200);
    expect(q.pending()).toBe(true);
    expect(q.due(99)).toBe(false);
    expect(q.due(100)).toBe(true);
    expect(q.take()).toBe(3);
    expect(q.due(150)).toBe(false);
    expect(q.take()).toBe(1);
    expect(q.pending()).toBe(false);
  });
});

describe('RetryPass', () => {
  it('spaces a retry twice the address timeout, between 200 ms and 1 s', () => {
    const { h, pass } = setup();
    for (const [t, want] of [
      [50, 200],
      [300, 600],
      [900, 1000],
    ] as const) {
      h.timeoutMs = t;
      expect(pass.spacing(h)).toBe(want);
    }
  });

  it('a filtered probe with tries left waits for its retry; out of tries it is parked', () => {
    const { clock, h, pass } = setup();
    clock.advance(40);
    h.attempts[0] = 1;
    expect(pass.offer(h, 0, clock.now())).toBe(true);
    expect(h.retry.due(clock.now() + 599)).toBe(false);
    expect(h.retry.due(clock.now() + 600)).toBe(true); // timeout 300 (the cap) × 2
    h.attempts[1] = 2;
    expect(pass.offer(h, 1, clock.now())).toBe(false);
    expect(h.retry.parked).toEqual([1]);
  });

  it('a retry that paid off: depth retries + DEEPEN_MAX, parked probes due now, the depth shared', () => {
    const { clock, h, rotation, pass } = setup();
    h.retry.parked.push(2, 3);
    Atomics.store(h.h.cursor, 0, 4); // every position taken
    rotation.prune(); // nothing to do: out of the rotation
    expect(rotation.active.length).toBe(0);
    clock.advance(70);
    expect(pass.deepen(h)).toBe(2);
    expect(h.retry.depth).toBe(1 + DEEPEN_MAX);
    expect(h.h.cursor[1]).toBe(1 + DEEPEN_MAX);
    expect(h.retry.parked).toEqual([]);
    expect(h.retry.due(70)).toBe(true);
    expect(rotation.active).toEqual([h]);
    expect(pass.deepen(h)).toBe(0); // already there
  });

  it('with retries 0 nothing deepens', () => {
    const { h, pass } = setup(0);
    h.retry.parked.push(1);
    expect(pass.deepen(h)).toBe(0);
    expect(h.retry.depth).toBe(0);
  });

  it('takes over a depth another thread reached on the same address', () => {
    const a = setup();
    const b = setup(1, a.h.h); // the same shared address
    a.h.retry.parked.push(0);
    b.h.retry.parked.push(1);
    expect(b.pass.sync(b.h)).toBe(0);
    a.pass.deepen(a.h);
    expect(b.pass.sync(b.h)).toBe(1);
    expect(b.h.retry.depth).toBe(1 + DEEPEN_MAX);
  });
});

describe('ShardResults', () => {
  it('writes verdicts at their probe positions and counts what is settled for good', () => {
    const h = new HostState(0, newShardHost('127.0.0.1', 4, new Uint16Array(4)), s, 0);
    const r = new ShardResults();
    r.answered(h, 2, Code.Open, 1.5);
    r.unreachable(h, 0);
    r.filtered(h, 1);
    expect([...h.state]).toEqual([Code.Unreachable, Code.Filtered, Code.Open, Code.Unprobed]);
    expect(h.rttMs[2]).toBe(1.5);
    expect(Number.isNaN(h.rttMs[1]!)).toBe(true);
    expect(r.settled).toBe(2);
    r.settle();
    r.unsettle(1);
    expect(r.settled).toBe(2);
  });

  it('says per address why part of it was not probed', () => {
    const a = new HostState(0, newShardHost('127.0.0.1', 4, new Uint16Array(2)), s, 0);
    const b = new HostState(1, newShardHost('::1', 6, new Uint16Array(2)), s, 0);
    const r = new ShardResults();
    b.configError = 'EINVAL: ::1 cannot be probed from here';
    b.lastLocal = 'EMFILE';
    r.gaveUp(b);
    const out = ShardResults.final([a, b]);
    expect(out[0]!.error).toBeUndefined();
    expect(out[0]!.state).toBe(a.state);
    expect(out[1]!.error).toBe('EINVAL: ::1 cannot be probed from here; 1 probe(s) not made: local EMFILE persisted');
    expect(r.settled).toBe(1);
  });
});
