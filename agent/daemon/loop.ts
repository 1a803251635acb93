// The agent's cycle: pull the plan (If-None-Match) → probe → spool the batch → deliver the spool
// oldest first → wait for the next jittered interval, delivering the backlog meanwhile whenever
// the collector answers (deliver.ts) and re-probing the declared ports on the plan's short check
// interval, a confirmed change sent at once (checks.ts). Probing never waits for the collector: while it is down, every
// cycle's
// batch accumulates in the spool and is delivered, exactly once per Idempotency-Key, when it
// returns. On stop (SIGTERM) the sweep in flight gets `stopGrace` to finish (then it is aborted
// and what it probed is still reported), its batch is spooled, and the spool is flushed for at
// most `flushTimeout`; whatever is left stays on disk for the next start.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import type { Plan, PodIdentity, ProbeSummary, WireRecord } from '../../shared/types.js';
import { VERSION } from '../../shared/version.js';
import { backoffDelay, jitterInterval } from './backoff.js';
import { withDeadline } from './deadline.js';
import { DEFAULT_MAX_BATCH_BYTES, buildBatches, type SweepResult } from './batch.js';
import { systemClock, type LoopClock } from './clock.js';
import { makeDelivery } from './deliver.js';
import { MIN_CHECK_INTERVAL_MS, makeChecks } from './checks.js';
import { listenerRecords, type Listener } from './listeners.js';
import { planToTargets, tokenScopeRefusal, type TargetSpec } from './plan.js';
import type { PlanCache } from './plan-cache.js';
import type { Spool } from './spool.js';
import { ABANDON_MS, stoppableSweep } from './sweep-stop.js';
import type { PlanResult, SendResult } from './transport.js';

/** What the loop needs of a probe run (agent/probe ProbeRun). */
export interface SweepRun {
  sweeps: SweepResult[];
  summary: ProbeSummary;
  /** Addresses refused by the scope: logged, never probed. */
  skipped: { host: string; ip: string; reason: string }[];
}

/**
 * Probe these targets; `signal` aborts the sweep (what was probed so far is still returned).
 * `refuse` is the plan's token scope: a resolved address it refuses (a reason) is skipped like
 * one outside the agent's own scope, on top of that scope's check.
 */
export type ProbeFn = (
  targets: TargetSpec[],
  signal: AbortSignal,
  refuse: (ip: string) => string | null,
) => Promise<SweepRun>;

export interface CollectorApi {
  getPlan(etag: string | null, scope: readonly string[], signal?: AbortSignal, attempts?: number): Promise<PlanResult>;
  sendBatch(batchId: string, body: string, signal?: AbortSignal): Promise<SendResult>;
}

export interface LoopSettings {
  name: string;
  scope: readonly string[];
  /** Overrides the plan's interval (the operator's own choice: not raised to minInterval). */
  interval?: number;
  /** Overrides the plan's check interval of the declared ports (0: no checks; checks.ts). */
  checkInterval?: number;
  /**
   * The floor of a plan's interval: the plan comes from the collector, and a hostile or broken
   * one must not make the agent probe in a tight loop. Default MIN_INTERVAL_MS.
   */
  minInterval?: number;
  listeners: boolean;
  /** The agent's pod in Kubernetes: sent in every batch header. */
  pod?: PodIdentity;
  stopGrace: number;
  flushTimeout: number;
  /** Largest batch the agent sends (default DEFAULT_MAX_BATCH_BYTES); a bigger sweep is split. */
  maxBatchBytes?: number;
}

export interface LoopOptions {
  settings: LoopSettings;
  collector: CollectorApi;
  spool: Spool;
  planCache: PlanCache;
  probe: ProbeFn;
  /** NDJSON encoder of shared/wire.ts. */
  encode: (records: WireRecord[]) => string;
  readListeners: () => Listener[];
  logger: Logger;
  /** Resolves when the agent must stop. */
  stop: Promise<unknown>;
  random?: () => number;
  newBatchId?: () => string;
  /** Time and timers (default: the system's); unit tests drive it by hand. */
  clock?: LoopClock;
  /** Used until a plan arrives and when neither the plan nor --interval says. */
  defaultIntervalMs?: number;
}

export interface LoopStats {
  cycles: number;
  spooled: number;
  delivered: number;
  rejected: number;
  /** Batches dropped by the full spool during this run. */
  dropped: number;
  /** Addresses the scope refused during this run. */
  skipped: number;
  /** Declared-port checks run between sweeps, and hosts whose change an immediate re-probe confirmed. */
  checks: number;
  confirmed: number;
}

const DEFAULT_INTERVAL_MS = 5 * 60_000;
export const MIN_INTERVAL_MS = 30_000;

export async function runAgentLoop(o: LoopOptions): Promise<LoopStats> {
  const log = o.logger;
  const random = o.random ?? Math.random;
  const newBatchId = o.newBatchId ?? randomUUID;
  const clock = o.clock ?? systemClock;
  const iso = () => new Date(clock.now()).toISOString();
  const stats: LoopStats = {
    cycles: 0,
    spooled: 0,
    delivered: 0,
    rejected: 0,
    dropped: 0,
    skipped: 0,
    checks: 0,
    confirmed: 0,
  };
  const stopping = new AbortController();
  void o.stop.then(() => stopping.abort(new Error('agent stopping')));
  const stopSignal = stopping.signal;

  const cached = o.planCache.load();
  let plan: Plan | null = cached?.plan ?? null;
  let etag = cached?.etag ?? null;
  if (plan)
    log.info(
      { revision: plan.revision, targets: plan.targets.length },
      'using the cached plan until the collector answers',
    );
  let planFailures = 0;

  // Every timer derived from the plan goes through intervalMs(), so the floor holds for all of
  // them: the sweep schedule, the plan request timeout, the backlog's delivery window.
  const floor = o.settings.interval === undefined ? (o.settings.minInterval ?? MIN_INTERVAL_MS) : 0;
  const intervalMs = () =>
    o.settings.interval ?? Math.max(plan?.intervalMs ?? o.defaultIntervalMs ?? DEFAULT_INTERVAL_MS, floor);
  let flooredRevision: string | null = null;
  /** Say once per plan revision that its interval was raised to the floor. */
  const noteFloor = () => {
    if (!plan || o.settings.interval !== undefined || plan.intervalMs >= floor) return;
    if (flooredRevision === plan.revision) return;
    flooredRevision = plan.revision;
    log.warn(
      { revision: plan.revision, planIntervalMs: plan.intervalMs, minIntervalMs: floor },
      'plan interval is below --min-interval; using --min-interval',
    );
  };
  noteFloor();

  const { drain, deliverUntil } = makeDelivery({
    name: o.settings.name,
    spool: o.spool,
    sendBatch: (id, body, signal) => o.collector.sendBatch(id, body, signal),
    logger: log,
    clock,
    random,
    stopSignal,
    stats,
  });

  /** Spool these batches in order; a batch that cannot be spooled is lost (and said so). */
  function put(batches: ReturnType<typeof buildBatches>): void {
    let dropped = 0;
    for (const b of batches) {
      try {
        dropped += o.spool.put(b.batchId, o.encode(b.records));
        stats.spooled++;
      } catch (err) {
        // A full or broken disk: this batch is lost (and said so); the agent keeps running and
        // delivers what the spool already holds.
        log.error({ batchId: b.batchId, err: (err as Error).message }, 'cannot spool the batch; it is lost');
        stats.dropped++;
      }
    }
    if (dropped > 0) {
      stats.dropped += dropped;
      log.warn({ dropped, unreported: o.spool.dropped() }, 'spool full: dropped the oldest batches');
    }
  }
  const header = () => ({ agent: o.settings.name, agentVersion: VERSION, planRevision: plan!.revision });
  const maxBatchBytes = o.settings.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;

  const checks = makeChecks({
    clock,
    random,
    stopSignal,
    logger: log,
    deliverUntil,
    spool: (sweeps, startedAt, finishedAt) =>
      put(buildBatches({ ...header(), startedAt, finishedAt, sweeps, listeners: [] }, maxBatchBytes, newBatchId)),
    stats,
  });
  /** The check interval: the operator's, else the plan's (floored); 0 when off or not shorter than a sweep's. */
  const checkEvery = () => {
    const planned = plan?.checkIntervalMs;
    const every = o.settings.checkInterval ?? (planned !== undefined ? Math.max(planned, MIN_CHECK_INTERVAL_MS) : 0);
    return every > 0 && every < intervalMs() ? every : 0;
  };

  while (!stopSignal.aborted) {
    const cycleStart = clock.now();
    stats.cycles++;

    // --- plan ------------------------------------------------------------------------------
    try {
      // With a plan in hand, one quick attempt: probing must not wait for a collector that is
      // down (the cycle's delivery retries it anyway). Without one, the client's retries.
      const timeout = plan ? Math.min(Math.max(intervalMs(), 1000), 30_000) : 30_000;
      const ask = (signal: AbortSignal) => o.collector.getPlan(etag, o.settings.scope, signal, plan ? 1 : undefined);
      const r = await withDeadline(stopSignal, timeout, ask, clock);
      planFailures = 0;
      if (r.kind === 'plan') {
        if (r.plan.revision !== plan?.revision)
          log.info(
            { revision: r.plan.revision, targets: r.plan.targets.length, intervalMs: r.plan.intervalMs },
            'new plan',
          );
        plan = r.plan;
        etag = r.etag;
        o.planCache.save({ plan, etag });
        noteFloor();
      }
    } catch (err) {
      if (stopSignal.aborted) break;
      planFailures++;
      log.warn({ err: (err as Error).message, cachedPlan: plan?.revision ?? null }, 'cannot fetch the plan');
      if (!plan) {
        await deliverUntil(
          clock.now() + backoffDelay(planFailures - 1, { baseMs: 1000, maxMs: Math.min(intervalMs(), 60_000) }, random),
        );
        continue;
      }
    }

    // --- probe -----------------------------------------------------------------------------
    const { specs, problems } = planToTargets(plan!.targets);
    const refuse = tokenScopeRefusal(plan!.tokenScope);
    for (const p of problems) log.warn({ problem: p }, 'plan target problem; probing what it can');
    const sweep = stoppableSweep(clock, stopSignal, o.settings.stopGrace);
    // A backlog (an earlier run's spool, an outage just over) is delivered alongside the sweep
    // when the collector answered the plan: a big sweep takes minutes, and the collector should
    // not wait for it to hear what happened while it was away.
    const backlog =
      planFailures === 0 && o.spool.entries().length > 0
        ? withDeadline(stopSignal, Math.max(intervalMs(), 1000), drain, clock)
        : null;
    const startedAt = iso();
    let run: SweepRun | null = null;
    try {
      run = await Promise.race([o.probe(specs, sweep.signal, refuse), sweep.abandoned]);
      if (run === null)
        log.error(
          { waitedMs: o.settings.stopGrace + ABANDON_MS },
          'the sweep did not stop when aborted; its results are lost',
        );
    } catch (err) {
      log.error({ err: (err as Error).message }, 'sweep failed');
    } finally {
      sweep.done();
    }
    const finishedAt = iso();
    for (const s of run?.skipped ?? [])
      log.warn({ host: s.host, ip: s.ip, reason: s.reason }, 'target outside scope: skipped, never probed');
    stats.skipped += run?.skipped.length ?? 0;

    let listeners: Listener[] = [];
    // Only a successful read is a view: a failed one must not tell the collector "nothing listens".
    let listenerView = false;
    if (o.settings.listeners) {
      try {
        listeners = o.readListeners();
        listenerView = true;
      } catch (err) {
        log.error({ err: (err as Error).message }, 'cannot read the LISTEN sockets of this namespace');
      }
    }

    // --- spool, then deliver ---------------------------------------------------------------
    // Every cycle sends a batch, even an empty one: it is also the agent's heartbeat. A sweep
    // over the batch limit is several batches, spooled (and so delivered) in order.
    const batches = buildBatches(
      {
        ...header(),
        startedAt,
        finishedAt,
        sweeps: run?.sweeps ?? [],
        listeners: listenerRecords(listeners, finishedAt),
        listenerView,
        ...(o.settings.pod ? { pod: o.settings.pod } : {}),
      },
      maxBatchBytes,
      newBatchId,
    );
    const batchId = batches[0]!.batchId;
    // The backlog's drain and these puts do not share the spool.
    await backlog;
    put(batches);
    const split = batches.length > 1 ? { batches: batches.length } : {};
    log.info(
      {
        batchId,
        ...split,
        targets: specs.length,
        ...(run ? { summary: run.summary } : {}),
        skipped: run?.skipped.length ?? 0,
        listeners: listeners.length,
        spoolDepth: o.spool.entries().length,
      },
      'sweep done',
    );

    // Until the next sweep (the jitter may shorten the wait by 10 %, never below the floor): the
    // declared ports are checked on the short interval, and the spool delivered meanwhile.
    if (run) checks.noteSweep(run.sweeps, specs);
    const cycle = {
      specs,
      probe: (t: TargetSpec[], signal: AbortSignal) => o.probe(t, signal, refuse),
      everyMs: checkEvery(),
      flag: plan!.checkIntervalMs !== undefined,
    };
    await checks.until(cycleStart + Math.max(jitterInterval(intervalMs(), 0.1, random), floor), cycle);
  }

  // --- stop: flush what the collector will take in the time allowed ---------------------------
  const left = o.spool.entries().length;
  const flushed = left === 0 || (await withDeadline(undefined, o.settings.flushTimeout, drain, clock));
  log.info({ spoolDepth: o.spool.entries().length, spool: o.spool.location, flushed, ...stats }, 'agent stopped');
  return stats;
}
