// The agent's cycle: pull the plan (If-None-Match) → probe → spool the batch → deliver the spool
// oldest first → sleep to the next jittered interval, delivering the backlog meanwhile whenever
// the collector answers. Probing never waits for the collector: while it is down, every cycle's
// batch accumulates in the spool and is delivered, exactly once per Idempotency-Key, when it
// returns. On stop (SIGTERM) the sweep in flight gets `stopGrace` to finish (then it is aborted
// and what it probed is still reported), its batch is spooled, and the spool is flushed for at
// most `flushTimeout`; whatever is left stays on disk for the next start.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import type { Plan, ProbeSummary, WireRecord } from '../../shared/types.js';
import { VERSION } from '../../shared/version.js';
import { backoffDelay, jitterInterval, sleep } from './backoff.js';
import { withDeadline } from './deadline.js';
import { DEFAULT_MAX_BATCH_BYTES, buildBatches, withSpoolStatus, type SweepResult } from './batch.js';
import { listenerRecords, type Listener } from './listeners.js';
import { planToTargets, tokenScopeRefusal, type TargetSpec } from './plan.js';
import type { PlanCache } from './plan-cache.js';
import type { Spool } from './spool.js';
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
  /**
   * The floor of a plan's interval: the plan comes from the collector, and a hostile or broken
   * one must not make the agent probe in a tight loop. Default MIN_INTERVAL_MS.
   */
  minInterval?: number;
  listeners: boolean;
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
}

const DEFAULT_INTERVAL_MS = 5 * 60_000;
export const MIN_INTERVAL_MS = 30_000;
/** How long past the stop grace an aborted sweep may take to return. */
const ABANDON_MS = 2000;
/** A delivery still unanswered after this long when the cycle ends counts as an outage. */
const SLOW_SEND_MS = 2000;

export async function runAgentLoop(o: LoopOptions): Promise<LoopStats> {
  const log = o.logger;
  const random = o.random ?? Math.random;
  const newBatchId = o.newBatchId ?? randomUUID;
  const stats: LoopStats = { cycles: 0, spooled: 0, delivered: 0, rejected: 0, dropped: 0, skipped: 0 };
  const stopping = new AbortController();
  void o.stop.then(() => stopping.abort(new Error('agent stopping')));
  const stopSignal = stopping.signal;

  const cached = o.planCache.load();
  let plan: Plan | null = cached?.plan ?? null;
  let etag = cached?.etag ?? null;
  if (plan) log.info({ revision: plan.revision, targets: plan.targets.length }, 'using the cached plan until the collector answers');
  let planFailures = 0;
  let collectorDown = false;

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

  /** Deliver the spool oldest first; true when it is empty, false when the collector is not taking batches. */
  async function drain(signal: AbortSignal): Promise<boolean> {
    for (const entry of o.spool.entries()) {
      if (signal.aborted) return false;
      let send: ReturnType<typeof withSpoolStatus>;
      try {
        send = withSpoolStatus(o.spool.read(entry), o.spool.dropped(), o.spool.entries().length - 1, o.settings.name);
      } catch (err) {
        log.error({ batchId: entry.batchId, err: (err as Error).message }, 'spooled batch is unreadable; dropped');
        o.spool.discard(entry);
        stats.dropped++;
        continue;
      }
      let result: SendResult;
      const sentAt = Date.now();
      try {
        result = await o.collector.sendBatch(entry.batchId, send.body, signal);
      } catch (err) {
        // Stopping (the final flush included) is not news about the collector. A send still
        // retrying when the cycle's deadline passed is: with intervals shorter than the
        // transport's retry budget, that is the only way an outage shows here.
        // A send cut short within its first seconds says nothing either (the deadline was near).
        if (stopSignal.aborted || (signal.aborted && Date.now() - sentAt < SLOW_SEND_MS)) return false;
        const reason = signal.aborted ? 'no delivery before the next cycle' : (err as Error).message;
        if (!collectorDown) log.warn({ err: reason, spoolDepth: o.spool.entries().length }, 'collector not taking batches; keeping them in the spool');
        collectorDown = true;
        return false;
      }
      if (collectorDown) log.info({ spoolDepth: o.spool.entries().length }, 'collector is back; delivering the spool');
      collectorDown = false;
      if (result.kind === 'accepted') {
        o.spool.remove(entry);
        o.spool.reportedDrops(send.header.spoolDropped);
        stats.delivered++;
      } else {
        // A batch the collector will never take (invalid, too large, a record outside the token's
        // scope): keeping it would block every later one. It is counted as a drop so the
        // collector hears about it.
        log.error({ batchId: entry.batchId, status: result.status, code: result.code, message: result.message }, 'collector rejected a batch; dropped');
        o.spool.discard(entry);
        stats.rejected++;
      }
    }
    return true;
  }

  /** Until `deadline`: deliver the backlog whenever possible, backing off while the collector is down. */
  async function deliverUntil(deadline: number): Promise<void> {
    let failures = 0;
    while (!stopSignal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      if (o.spool.entries().length === 0) {
        await sleep(left, stopSignal);
        return;
      }
      if (await withDeadline(stopSignal, left, drain)) {
        failures = 0;
        continue;
      }
      await sleep(Math.min(deadline - Date.now(), backoffDelay(failures++, { baseMs: 1000, maxMs: 60_000 }, random)), stopSignal);
    }
  }

  while (!stopSignal.aborted) {
    const cycleStart = Date.now();
    stats.cycles++;

    // --- plan ------------------------------------------------------------------------------
    try {
      // With a plan in hand, one quick attempt: probing must not wait for a collector that is
      // down (the cycle's delivery retries it anyway). Without one, the client's retries.
      const timeout = plan ? Math.min(Math.max(intervalMs(), 1000), 30_000) : 30_000;
      const r = await withDeadline(stopSignal, timeout, (signal) => o.collector.getPlan(etag, o.settings.scope, signal, plan ? 1 : undefined));
      planFailures = 0;
      if (r.kind === 'plan') {
        if (r.plan.revision !== plan?.revision) log.info({ revision: r.plan.revision, targets: r.plan.targets.length, intervalMs: r.plan.intervalMs }, 'new plan');
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
        await deliverUntil(Date.now() + backoffDelay(planFailures - 1, { baseMs: 1000, maxMs: Math.min(intervalMs(), 60_000) }, random));
        continue;
      }
    }

    // --- probe -----------------------------------------------------------------------------
    const { specs, problems } = planToTargets(plan!.targets);
    const refuse = tokenScopeRefusal(plan!.tokenScope);
    for (const p of problems) log.warn({ problem: p }, 'plan target problem; probing what it can');
    const sweep = new AbortController();
    let graceTimer: NodeJS.Timeout | undefined;
    let hardTimer: NodeJS.Timeout | undefined;
    // On stop: abort the sweep after the grace period; should the engine not return within
    // ABANDON_MS after that, stop waiting for it (its results are lost, the exit is not delayed).
    const abandoned = new Promise<null>((resolve) => {
      const onStop = () => {
        graceTimer = setTimeout(() => sweep.abort(new Error('agent stopping')), o.settings.stopGrace);
        hardTimer = setTimeout(() => resolve(null), o.settings.stopGrace + ABANDON_MS);
      };
      if (stopSignal.aborted) onStop();
      else stopSignal.addEventListener('abort', onStop, { once: true });
      sweep.signal.addEventListener('abort', () => stopSignal.removeEventListener('abort', onStop), { once: true });
    });
    // A backlog (an earlier run's spool, an outage just over) is delivered alongside the sweep
    // when the collector answered the plan: a big sweep takes minutes, and the collector should
    // not wait for it to hear what happened while it was away.
    const backlog = planFailures === 0 && o.spool.entries().length > 0 ? withDeadline(stopSignal, Math.max(intervalMs(), 1000), drain) : null;
    const startedAt = new Date().toISOString();
    let run: SweepRun | null = null;
    try {
      run = await Promise.race([o.probe(specs, sweep.signal, refuse), abandoned]);
      if (run === null) log.error({ waitedMs: o.settings.stopGrace + ABANDON_MS }, 'the sweep did not stop when aborted; its results are lost');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'sweep failed');
    } finally {
      clearTimeout(graceTimer);
      clearTimeout(hardTimer);
      sweep.abort(); // releases the stop listener; the sweep is over either way
    }
    const finishedAt = new Date().toISOString();
    for (const s of run?.skipped ?? []) log.warn({ host: s.host, ip: s.ip, reason: s.reason }, 'target outside scope: skipped, never probed');
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
        agent: o.settings.name,
        agentVersion: VERSION,
        planRevision: plan!.revision,
        startedAt,
        finishedAt,
        sweeps: run?.sweeps ?? [],
        listeners: listenerRecords(listeners, finishedAt),
        listenerView,
      },
      o.settings.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      newBatchId,
    );
    const batchId = batches[0]!.batchId;
    // The backlog's drain and these puts do not share the spool.
    await backlog;
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
    const split = batches.length > 1 ? { batches: batches.length } : {};
    log.info({ batchId, ...split, targets: specs.length, ...(run ? { summary: run.summary } : {}), skipped: run?.skipped.length ?? 0, listeners: listeners.length, spoolDepth: o.spool.entries().length }, 'sweep done');

    // The jitter may shorten a sleep by 10 %, never below the floor.
    await deliverUntil(cycleStart + Math.max(jitterInterval(intervalMs(), 0.1, random), floor));
  }

  // --- stop: flush what the collector will take in the time allowed ---------------------------
  const left = o.spool.entries().length;
  const flushed = left === 0 || (await withDeadline(undefined, o.settings.flushTimeout, drain));
  log.info({ spoolDepth: o.spool.entries().length, spool: o.spool.location, flushed, ...stats }, 'agent stopped');
  return stats;
}
