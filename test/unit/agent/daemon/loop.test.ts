// runAgentLoop's decisions with hand-driven time, an in-memory collector and network, and the
// real MemorySpool and plan cache: the cycle schedule, the interval floor, an outage (probing on
// the cached plan, the backlog delivered oldest first and exactly once when the collector
// returns), the delivery backoff, plan refresh, and the stop. Each case runs minutes of agent
// time in milliseconds. The end-to-end proof is test/integration/agent (real sockets, a real
// collector child process, network namespaces).
import { describe, expect, it } from 'vitest';
import { runAgentLoop, type LoopSettings } from '../../../../agent/daemon/loop.js';
import { memoryPlanCache } from '../../../../agent/daemon/plan-cache.js';
import { MemorySpool } from '../../../../agent/daemon/spool.js';
import type { Plan } from '../../../../shared/types.js';
import { encodeRecords } from '../../../../shared/wire.js';
import { FakeCollector, FakeNetwork, ManualLoopClock, plan, recordingLogger } from './loop-kit.js';

const T = [{ host: '10.0.0.1', declared: [5432], discovery: '5433', resources: ['aws_db_instance.orders'] }];

function agent(
  o: { settings?: Partial<LoopSettings>; random?: () => number; spool?: MemorySpool; plan?: Plan | false } = {},
) {
  const clock = new ManualLoopClock();
  const t0 = clock.now();
  const net = new FakeNetwork(clock);
  net.open.set('10.0.0.1', new Set([5432]));
  const collector = new FakeCollector(clock);
  if (o.plan !== false) collector.plan = o.plan ?? plan('r1', T);
  const spool = o.spool ?? new MemorySpool();
  const log = recordingLogger(clock);
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let n = 0;
  const done = runAgentLoop({
    settings: {
      name: 'a',
      scope: ['10.0.0.0/8'],
      listeners: false,
      stopGrace: 2000,
      flushTimeout: 5000,
      ...o.settings,
    },
    collector,
    spool,
    planCache: memoryPlanCache(),
    probe: net.probe,
    encode: encodeRecords,
    readListeners: () => [],
    logger: log.logger,
    stop: stopped,
    random: o.random ?? (() => 0.5),
    newBatchId: () => `b${++n}`,
    clock,
  });
  /** Ms since the start, for readable expectations. */
  const rel = (at: number) => at - t0;
  const finish = async () => {
    stop();
    await clock.advance(60_000);
    return done;
  };
  return { clock, t0, net, collector, spool, log, finish, rel, done };
}

const ids = (c: FakeCollector) => c.accepted.map((s) => s.batchId);

describe('runAgentLoop (injected clock and transport)', () => {
  it('sweeps once per plan interval, each batch delivered as soon as it is spooled', async () => {
    const a = agent();
    await a.clock.advanceTo(a.t0 + 4 * 60_000 + 1);
    expect(a.net.calls.map((c) => a.rel(c.at))).toEqual([0, 60_000, 120_000, 180_000, 240_000]);
    expect(a.collector.accepted.map((s) => a.rel(s.at))).toEqual([0, 60_000, 120_000, 180_000, 240_000]);
    expect(ids(a.collector)).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    // Declared ports go first; the discovery set follows.
    expect(a.net.calls[0]!.targets).toEqual([{ host: '10.0.0.1', declared: [5432], discovery: [5433] }]);
    const header = a.collector.records()[0]![0]!;
    expect(header).toMatchObject({ t: 'batch', agent: 'a', planRevision: 'r1', startedAt: '2026-01-01T00:00:00.000Z' });
    const stats = await a.finish();
    expect(stats).toMatchObject({ cycles: 5, spooled: 5, delivered: 5, rejected: 0, dropped: 0 });
  });

  it('jitters each sleep by at most 10 %, and never below the floor', async () => {
    const a = agent({ random: () => 0 });
    await a.clock.advanceTo(a.t0 + 3 * 54_000 + 1);
    expect(a.net.calls.map((c) => a.rel(c.at))).toEqual([0, 54_000, 108_000, 162_000]);
    await a.finish();
    const b = agent({ random: () => 0, plan: plan('r1', T, 31_000) });
    await b.clock.advanceTo(b.t0 + 2 * 30_000 + 1);
    // 31 s − 10 % would be 27.9 s: held at the 30 s floor.
    expect(b.net.calls.map((c) => b.rel(c.at))).toEqual([0, 30_000, 60_000]);
    await b.finish();
  });

  it(
    'raises a plan interval below --min-interval to it ' + '(said once per revision); --interval overrides the plan',
    async () => {
      const a = agent({ plan: plan('r1', T, 1000) });
      await a.clock.advanceTo(a.t0 + 90_001);
      expect(a.net.calls.map((c) => a.rel(c.at))).toEqual([0, 30_000, 60_000, 90_000]);
      expect(a.log.messages('plan interval is below --min-interval; using --min-interval')).toHaveLength(1);
      await a.finish();
      const b = agent({ settings: { interval: 500 } });
      await b.clock.advanceTo(b.t0 + 2001);
      expect(b.net.calls.map((c) => b.rel(c.at))).toEqual([0, 500, 1000, 1500, 2000]);
      await b.finish();
    },
  );

  it(
    'through an outage: probes on its plan every interval, spools every batch, ' +
      'and delivers the backlog oldest first, each once, when the collector returns',
    async () => {
      const a = agent();
      await a.clock.advanceTo(a.t0 + 1);
      a.collector.up = false;
      await a.clock.advanceTo(a.t0 + 5 * 60_000 + 1);
      // Sweeps at 60 s … 300 s went on without the collector.
      expect(a.net.calls.map((c) => a.rel(c.at))).toEqual([0, 60_000, 120_000, 180_000, 240_000, 300_000]);
      expect(a.log.messages('cannot fetch the plan')).toHaveLength(5);
      expect(a.spool.entries().map((e) => e.batchId)).toEqual(['b2', 'b3', 'b4', 'b5', 'b6']);
      expect(a.log.messages('collector not taking batches; keeping them in the spool')).toHaveLength(1);
      a.collector.up = true;
      // Back within the backoff of the wait, long before the next sweep.
      const took = await a.clock.until(() => a.spool.entries().length === 0, 60_000);
      expect(took).toBeLessThan(35_000);
      expect(ids(a.collector)).toEqual(['b1', 'b2', 'b3', 'b4', 'b5', 'b6']);
      expect(a.log.messages('collector is back; delivering the spool')).toHaveLength(1);
      // Each outage batch says how deep the spool was behind it when it was sent.
      expect(
        a.collector
          .records()
          .slice(1)
          .map((r) => r[0]!.spoolDepth),
      ).toEqual([4, 3, 2, 1, 0]);
      const stats = await a.finish();
      expect(stats).toMatchObject({ delivered: 6, rejected: 0, dropped: 0 });
      expect(new Set(ids(a.collector)).size).toBe(a.collector.accepted.length);
    },
  );

  it(
    'backs off while the collector is down: delivery attempts ' + 'double their gap (full jitter), within the interval',
    async () => {
      const a = agent();
      await a.clock.advanceTo(a.t0 + 1);
      a.collector.up = false;
      await a.clock.advanceTo(a.t0 + 120_000 - 1);
      const tries = a.collector.attempts.filter((s) => s.at >= a.t0 + 60_000).map((s) => a.rel(s.at));
      const gaps = tries.slice(1).map((t, i) => t - tries[i]!);
      // random() = 0.5: half of each cap (1 s, 2 s, 4 s … at most 60 s).
      expect(gaps).toEqual([500, 1000, 2000, 4000, 8000, 16_000]);
      await a.finish();
    },
  );

  it("delivers an earlier run's spool first, oldest first, alongside the first sweep", async () => {
    const spool = new MemorySpool();
    const old = (id: string) =>
      encodeRecords([
        {
          t: 'batch',
          v: 1,
          batchId: id,
          agent: 'a',
          agentVersion: '0',
          planRevision: null,
          startedAt: '2025-12-31T23:00:00Z',
          finishedAt: '2025-12-31T23:00:01Z',
          spoolDropped: 0,
          spoolDepth: 0,
        },
      ]);
    spool.put('old1', old('old1'));
    spool.put('old2', old('old2'));
    const a = agent({ spool });
    await a.clock.advanceTo(a.t0 + 1);
    expect(ids(a.collector)).toEqual(['old1', 'old2', 'b1']);
    await a.finish();
  });

  it('drops a batch the collector refuses for good and delivers the later ones', async () => {
    const a = agent();
    a.collector.reject = (id) =>
      id === 'b2' ? { kind: 'rejected', status: 400, code: 'PD_WIRE_INVALID', message: 'bad' } : null;
    await a.clock.advanceTo(a.t0 + 2 * 60_000 + 1);
    expect(ids(a.collector)).toEqual(['b1', 'b3']);
    expect(a.log.messages('collector rejected a batch; dropped')).toHaveLength(1);
    expect(await a.finish()).toMatchObject({ rejected: 1, delivered: 2 });
  });

  it(
    'refreshes the plan every cycle (If-None-Match): an unchanged ' +
      'plan is kept, a new revision is probed from the next cycle',
    async () => {
      const a = agent();
      await a.clock.advanceTo(a.t0 + 60_001);
      expect(a.collector.planRequests.map((r) => r.etag)).toEqual([null, 'r1']);
      a.collector.plan = plan('r2', [...T, { host: '10.0.0.2', declared: [6379], discovery: '', resources: ['x'] }]);
      await a.clock.advanceTo(a.t0 + 120_001);
      expect(a.net.calls[2]!.targets.map((t) => t.host)).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(a.collector.records().map((r) => r[0]!.planRevision)).toEqual(['r1', 'r1', 'r2']);
      expect(a.log.messages('new plan').map((l) => l.obj.revision)).toEqual(['r1', 'r2']);
      await a.finish();
    },
  );

  it('without a plan, probes nothing and asks again with backoff until the collector answers', async () => {
    const a = agent({ plan: false });
    await a.clock.advanceTo(a.t0 + 20_000);
    expect(a.net.calls).toEqual([]);
    const at = a.collector.planRequests.map((r) => a.rel(r.at));
    expect(at.slice(0, 5)).toEqual([0, 500, 1500, 3500, 7500]);
    a.collector.plan = plan('r1', T);
    await a.clock.until(() => a.net.calls.length > 0, 60_000);
    expect(a.collector.accepted).toHaveLength(1);
    await a.finish();
  });

  it('on stop: the sweep in flight gets the stop grace, its batch is spooled and flushed', async () => {
    const a = agent();
    a.net.durationMs = 10_000;
    await a.clock.advanceTo(a.t0 + 1000);
    const stats = await a.finish();
    expect(a.collector.accepted).toHaveLength(1);
    const header = a.collector.records()[0]![0]!;
    // Aborted at 1 s + the 2 s grace, not after the sweep's 10 s.
    expect(header.finishedAt).toBe('2026-01-01T00:00:03.000Z');
    expect(stats).toMatchObject({ cycles: 1, delivered: 1 });
    expect(a.log.messages('agent stopped')[0]!.obj).toMatchObject({ flushed: true, spoolDepth: 0 });
  });

  it('on stop while the collector is down: gives up the flush after --flush-timeout, the spool kept', async () => {
    const a = agent();
    await a.clock.advanceTo(a.t0 + 1);
    a.collector.up = false;
    a.collector.failAfterMs = 60_000;
    // The plan request of the second cycle gives up after 30 s; its sweep's batch then waits.
    await a.clock.advanceTo(a.t0 + 95_000);
    expect(a.spool.entries()).toHaveLength(1);
    const stopAt = a.clock.now();
    const stats = await a.finish();
    const last = a.log.messages('agent stopped')[0]!;
    expect(last.obj).toMatchObject({ flushed: false, spoolDepth: 1 });
    expect(last.at - stopAt).toBe(5000);
    expect(stats.delivered).toBe(1);
  });
});
