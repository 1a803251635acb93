// Time to detect, agent side, with hand-driven time: the declared ports re-probed on the short
// check interval between sweeps (declared ports only, nothing sent while nothing changed), a
// change re-probed at once with the host's discovery set and sent as `confirmed` when it held, a
// blip that did not hold sent nowhere, and the plan's say over all of it (older collectors: no
// checks and no flag; the floor of a plan's check interval).
import { describe, expect, it } from 'vitest';
import { changedHosts, declaredStates, heldHosts } from '../../../../agent/daemon/checks.js';
import { runAgentLoop, type LoopSettings } from '../../../../agent/daemon/loop.js';
import { memoryPlanCache } from '../../../../agent/daemon/plan-cache.js';
import { MemorySpool } from '../../../../agent/daemon/spool.js';
import type { Plan } from '../../../../shared/types.js';
import { encodeRecords } from '../../../../shared/wire.js';
import { FakeCollector, FakeNetwork, ManualLoopClock, plan, recordingLogger } from './loop-kit.js';

const T = [
  { host: '10.0.0.1', declared: [5432], discovery: '5430-5440', resources: ['aws_db_instance.orders'] },
  { host: '10.0.0.2', declared: [6379], discovery: '6370-6380', resources: ['aws_elasticache_cluster.cache'] },
];
const FIVE_MIN = 300_000;

function agent(p: Plan, settings: Partial<LoopSettings> = {}) {
  const clock = new ManualLoopClock();
  const t0 = clock.now();
  const net = new FakeNetwork(clock);
  net.open.set('10.0.0.1', new Set([5432]));
  net.open.set('10.0.0.2', new Set([6379]));
  const collector = new FakeCollector(clock);
  collector.plan = p;
  const log = recordingLogger(clock);
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let n = 0;
  const done = runAgentLoop({
    settings: { name: 'a', scope: ['10.0.0.0/8'], listeners: false, stopGrace: 2000, flushTimeout: 5000, ...settings },
    collector,
    spool: new MemorySpool(),
    planCache: memoryPlanCache(),
    probe: net.probe,
    encode: encodeRecords,
    readListeners: () => [],
    logger: log.logger,
    stop: stopped,
    random: () => 0.5,
    newBatchId: () => `b${++n}`,
    clock,
  });
  const finish = async () => {
    stop();
    await clock.advance(60_000);
    return done;
  };
  const rel = (at: number) => at - t0;
  return { clock, t0, net, collector, log, finish, rel };
}

type Rec = Record<string, unknown>;
const sweepsOf = (batch: Rec[]) => batch.filter((r) => r.t === 'sweep');

describe('declared-port checks between sweeps', () => {
  it('re-probes only the declared ports every check interval, and sends nothing while nothing changed', async () => {
    const a = agent(plan('r1', T, FIVE_MIN, { checkIntervalMs: 15_000 }));
    await a.clock.advanceTo(a.t0 + 61_000);
    expect(a.net.calls.map((c) => a.rel(c.at))).toEqual([0, 15_000, 30_000, 45_000, 60_000]);
    expect(a.net.calls[1]!.targets).toEqual([
      { host: '10.0.0.1', declared: [5432], discovery: [] },
      { host: '10.0.0.2', declared: [6379], discovery: [] },
    ]);
    // Only the first sweep's batch: the checks found nothing new.
    expect(a.collector.accepted.map((s) => a.rel(s.at))).toEqual([0]);
    expect(await a.finish()).toMatchObject({ checks: 4, confirmed: 0 });
  });

  it(
    'a moved service: the next check sees the declared port closed, ' +
      're-probes that host with its discovery set at once, and sends it confirmed',
    async () => {
      const a = agent(plan('r1', T, FIVE_MIN, { checkIntervalMs: 15_000 }));
      await a.clock.advanceTo(a.t0 + 100_000);
      a.net.open.set('10.0.0.1', new Set([5433])); // moved at t0 + 100 s
      await a.clock.advanceTo(a.t0 + 106_000);
      // The check at 105 s, then the re-probe of 10.0.0.1 only, declared and discovery, at once.
      const last = a.net.calls.slice(-2);
      expect(last.map((c) => a.rel(c.at))).toEqual([105_000, 105_000]);
      expect(last[1]!.targets).toEqual([
        { host: '10.0.0.1', declared: [5432], discovery: [5430, 5431, 5433, 5434, 5435, 5436, 5437, 5438, 5439, 5440] },
      ]);
      expect(a.collector.accepted.map((s) => a.rel(s.at))).toEqual([0, 105_000]);
      const batch = a.collector.records()[1]!;
      expect(sweepsOf(batch)).toEqual([
        expect.objectContaining({ host: '10.0.0.1', confirmed: true, closed: '5430-5432,5434-5440' }),
      ]);
      expect(batch.filter((r) => r.t === 'obs')).toEqual([expect.objectContaining({ port: 5433, state: 'open' })]);
      expect(
        a.log.messages('declared port changed, confirmed by an immediate re-probe; sent at once')[0]!.obj.hosts,
      ).toEqual(['10.0.0.1']);
      // Known from then on: the later checks send nothing more.
      await a.clock.advanceTo(a.t0 + 200_000);
      expect(a.collector.accepted).toHaveLength(2);
      expect(await a.finish()).toMatchObject({ confirmed: 1 });
    },
  );

  it('a blip that the re-probe does not see again is sent nowhere', async () => {
    const a = agent(plan('r1', T, FIVE_MIN, { checkIntervalMs: 15_000 }));
    await a.clock.advanceTo(a.t0 + 1000);
    let blips = 1;
    // Closed for the check at 15 s only.
    a.net.beforeProbe = (targets) => {
      if (targets.length === 2 && targets[0]!.discovery.length === 0 && blips-- > 0)
        a.net.open.set('10.0.0.1', new Set());
      else a.net.open.set('10.0.0.1', new Set([5432]));
    };
    await a.clock.advanceTo(a.t0 + 16_000);
    expect(a.net.calls.map((c) => a.rel(c.at))).toEqual([0, 15_000, 15_000]);
    expect(a.collector.accepted).toHaveLength(1);
    expect(a.log.messages('a declared port changed and changed back on the re-probe; nothing sent')).toHaveLength(1);
    expect(await a.finish()).toMatchObject({ confirmed: 0 });
  });

  it('a change the full sweep saw first is confirmed right after it', async () => {
    const a = agent(plan('r1', T, 60_000, { checkIntervalMs: 15_000 }));
    await a.clock.advanceTo(a.t0 + 50_000);
    a.net.open.set('10.0.0.2', new Set([6380]));
    await a.clock.advanceTo(a.t0 + 60_001);
    expect(a.net.calls.slice(-2).map((c) => [a.rel(c.at), c.targets.map((t) => t.host)])).toEqual([
      [60_000, ['10.0.0.1', '10.0.0.2']],
      [60_000, ['10.0.0.2']],
    ]);
    const batches = a.collector.records();
    expect(batches).toHaveLength(3);
    expect(sweepsOf(batches[2]!)).toEqual([expect.objectContaining({ host: '10.0.0.2', confirmed: true })]);
    await a.finish();
  });

  it(
    'a plan without checkIntervalMs (an older collector): no ' +
      'checks; --check-interval runs them without the confirmed flag',
    async () => {
      const a = agent(plan('r1', T, FIVE_MIN));
      await a.clock.advanceTo(a.t0 + 100_000);
      expect(a.net.calls).toHaveLength(1);
      await a.finish();
      const b = agent(plan('r1', T, FIVE_MIN), { checkInterval: 10_000 });
      await b.clock.advanceTo(b.t0 + 25_000);
      b.net.open.set('10.0.0.1', new Set());
      await b.clock.advanceTo(b.t0 + 31_000);
      expect(b.collector.accepted.map((s) => b.rel(s.at))).toEqual([0, 30_000]);
      expect(sweepsOf(b.collector.records()[1]!)[0]).not.toHaveProperty('confirmed');
      await b.finish();
    },
  );

  it('raises a plan check interval below 5 s to 5 s; --check-interval 0s switches the checks off', async () => {
    const a = agent(plan('r1', T, FIVE_MIN, { checkIntervalMs: 100 }));
    await a.clock.advanceTo(a.t0 + 20_001);
    expect(a.net.calls.map((c) => a.rel(c.at))).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    await a.finish();
    const b = agent(plan('r1', T, FIVE_MIN, { checkIntervalMs: 15_000 }), { checkInterval: 0 });
    await b.clock.advanceTo(b.t0 + 100_000);
    expect(b.net.calls).toHaveLength(1);
    await b.finish();
  });
});

describe('declared states', () => {
  const sweep = (host: string, states: Record<number, 'open' | 'closed' | 'filtered'>) => ({
    host,
    ip: host,
    ports: Object.keys(states).map(Number),
    results: Object.entries(states).map(([p, state]) => ({
      host,
      ip: host,
      port: Number(p),
      state,
      rttMs: null,
      attempts: 1,
    })),
  });
  const specs = [{ host: 'h1', declared: [1, 2], discovery: [3] }];

  it('keeps declared ports only, and a change is a known port that reads differently (a new one is not)', () => {
    const before = declaredStates([sweep('h1', { 1: 'open', 3: 'open' })], specs);
    expect([...before]).toEqual([['h1\u0000h1\u00001', 'open']]);
    const now = declaredStates([sweep('h1', { 1: 'open', 2: 'closed' })], specs);
    expect(changedHosts(before, now)).toEqual(new Set());
    const moved = declaredStates([sweep('h1', { 1: 'closed', 2: 'closed' })], specs);
    expect(changedHosts(before, moved)).toEqual(new Set(['h1']));
    expect(
      heldHosts(new Set(['h1']), moved, declaredStates([sweep('h1', { 1: 'closed', 2: 'closed' })], specs)),
    ).toEqual(new Set(['h1']));
    expect(
      heldHosts(new Set(['h1']), moved, declaredStates([sweep('h1', { 1: 'filtered', 2: 'closed' })], specs)),
    ).toEqual(new Set());
  });
});
