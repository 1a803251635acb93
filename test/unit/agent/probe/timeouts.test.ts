// The timeout decision (timeouts.ts) over the slot table (slots.ts), with time given by hand.
import { describe, expect, it } from 'vitest';
import { HostState } from '../../../../agent/probe/host.js';
import { newShardHost } from '../../../../agent/probe/hosts.js';
import { RttEstimator } from '../../../../agent/probe/rtt.js';
import { Slots } from '../../../../agent/probe/slots.js';
import { TimeoutWalk } from '../../../../agent/probe/timeouts.js';
import { SMALL } from './settings.js';

const s = SMALL;
const hostState = (i: number) => new HostState(i, newShardHost(`127.0.0.${i + 1}`, 4, new Uint16Array(10)), s, 0);

function setup() {
  const slots = new Slots(8);
  const hosts = [hostState(0), hostState(1)];
  const group = new RttEstimator(s.timeoutFloorMs, s.timeoutCapMs);
  return { slots, hosts, group, walk: new TimeoutWalk(slots, hosts, group, s.timeoutCapMs) };
}

describe('Slots', () => {
  it('hands out free slots, counts them, and changes a slot’s generation each time it is taken', () => {
    const slots = new Slots(2);
    const a = slots.alloc(0, 5, 10);
    const b = slots.alloc(1, 6, 11);
    expect(new Set([a, b]).size).toBe(2);
    expect(slots.inflight).toBe(2);
    expect([slots.host[a], slots.pos[a], slots.start[a]]).toEqual([0, 5, 10]);
    const gen = slots.gen[a]!;
    slots.release(a);
    expect(slots.host[a]).toBe(-1);
    expect(slots.alloc(0, 7, 12)).toBe(a);
    expect(slots.gen[a]).toBe(gen + 1);
  });
});

describe('TimeoutWalk', () => {
  it('without any RTT sample a probe times out at the cap, decided at the first walk past it', () => {
    const { slots, walk } = setup();
    const slot = slots.alloc(0, 0, 0);
    expect(walk.walk(299)).toBe(false);
    expect(walk.walk(300)).toBe(true);
    const list = walk.take();
    expect(list).toEqual([slot, slots.gen[slot]]);
    expect(walk.current(list[0]!, list[1]!)).toBe(true);
    expect(walk.take()).toEqual([]);
  });

  it('an address’s own RTT sets its timeout; one without samples takes the shard-wide estimate', () => {
    const { slots, hosts, group, walk } = setup();
    hosts[0]!.rtt.add(50); // 50 + 4·50 = 250
    group.add(10); // 10 + 4·10 = 50, floored at 100
    slots.alloc(0, 0, 0);
    slots.alloc(1, 0, 0);
    walk.walk(100);
    expect([hosts[0]!.timeoutMs, hosts[1]!.timeoutMs]).toEqual([250, 100]);
    expect(walk.take().length).toBe(2); // the second address's probe only
    walk.walk(250);
    expect(walk.take().length).toBe(4); // both (the undecided one is listed again)
  });

  it('counts the probes older than 20 ms, in all and per address, valid for the walk’s epoch', () => {
    const { slots, hosts, walk } = setup();
    slots.alloc(0, 0, 0);
    slots.alloc(0, 1, 5);
    slots.alloc(1, 0, 15);
    walk.walk(30);
    expect(walk.old).toBe(2);
    expect([hosts[0]!.old, hosts[0]!.epoch, hosts[1]!.old, hosts[1]!.epoch]).toEqual([2, 1, 0, 1]);
    walk.walk(40);
    expect(walk.old).toBe(3);
    expect(hosts[1]!.epoch).toBe(2);
  });

  it('an entry is stale once its connect was answered, or its slot taken by a later connect', () => {
    const { slots, walk } = setup();
    const a = slots.alloc(0, 0, 0);
    const b = slots.alloc(0, 1, 0);
    walk.walk(300);
    const list = walk.take();
    slots.release(a); // answered in the poll phase
    slots.release(b);
    const b2 = slots.alloc(0, 2, 300); // the slot reused at once
    expect(b2 === a || b2 === b).toBe(true);
    for (let i = 0; i < list.length; i += 2) expect(walk.current(list[i]!, list[i + 1]!)).toBe(false);
  });
});
