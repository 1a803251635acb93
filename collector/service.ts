// The running collector, apart from HTTP: the declared model (loaded at start, on reload and on
// the interval), plans, ingest, and the drift evaluation that feeds the finding lifecycle.
// Evaluations are serialised and throttled: a batch schedules an evaluation `debounceMs` later
// (one, however many batches arrive meanwhile), so ingest throughput does not pay
// for one drift computation per batch.
import { PortdriftError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { DriftReport, DriftSummary, Plan, PlanTarget } from '../shared/types.js';
import { agentViews, type AgentView } from './agents-view.js';
import { type Clock, systemClock, type Timer } from './clock.js';
import { findingsReport, type FindingQuery } from './findings-view.js';
import { BacklogHold } from './lifecycle/backlog.js';
import { evaluateLifecycle, type Transition } from './lifecycle/damping.js';
import { currentDrift, logTransition } from './lifecycle/drift.js';
import { activeIgnores, ignoreMatcher, withoutIgnored } from './lifecycle/ignores.js';
import { loadModel, type IacSource, type LoadedModel } from './lifecycle/model.js';
import { planFor, planTargets } from './lifecycle/plan.js';
import { inModel, modelHosts, newProblems } from './lifecycle/scope.js';
import type { IngestResult, ParsedBatch, Store } from './store/types.js';

export type { AgentView } from './agents-view.js';
export { type FindingQuery, present } from './findings-view.js';
export { LATE_FACTOR } from './lifecycle/backlog.js';

export interface CollectorOptions {
  store: Store;
  iac: IacSource;
  log: Logger;
  /** The agents' probe interval (in every plan), and how often IaC is reloaded. */
  intervalMs: number;
  /** Consecutive evaluations a finding must hold to open, or be absent to resolve. */
  cycles: number;
  /** Sent in plans: the agents' re-probe of declared ports between sweeps (0 or absent: off). */
  checkIntervalMs?: number;
  debounceMs: number;
  /** Observations older than this are ignored by the drift engine (→ unobserved). */
  freshnessMs: number;
  discovery: string;
  neighbourhood: number;
  /** Time and the timers of the interval tick and the debounce (default: the system's). */
  clock?: Clock;
  /** Reads the time instead of `clock` (the timers stay the clock's). */
  now?: () => number;
  /** Called for every finding that opened, reopened or resolved (alerts). */
  onTransition?: (t: Transition, at: string) => void;
  /** How long batch ids are remembered for idempotency (a resend older than this is stored again). */
  batchRetentionMs?: number;
  /** How long the open-count series (report charts) is kept. */
  seriesRetentionMs?: number;
  /** Observation, sweep and listener rows older than this are pruned on the interval tick. */
  retentionMs?: number;
  /**
   * Several replicas on one database: whether this one leads now. Only the leader counts damping
   * cycles and prunes (every replica reloads the IaC); absent, this collector always leads.
   */
  isLeader?: () => boolean;
  /** Loads the model; tests and the CLI use the extractor (default). */
  load?: (src: IacSource) => Promise<LoadedModel>;
}

export class Collector {
  private loaded: LoadedModel | null = null;
  private targets: PlanTarget[] = [];
  /** Every host the model names: records of other hosts are dropped at ingest. */
  private hosts: ReadonlySet<string> = new Set();
  private lastSummary: DriftSummary | null = null;
  private timer: Timer | undefined;
  private reloadTimer: Timer | undefined;
  /** The interval tick running now (reload, cycle, retention), if one is. */
  private ticking: Promise<void> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private lastCycleAt = -Infinity;
  private lastEvaluationMs = 0;
  /** Agents whose backlog is not in yet after a restart: they hold the damping (awaitBacklogs). */
  private readonly backlogs = new BacklogHold();
  /** Hosts of `confirmed` sweeps since the last evaluation: their findings skip the damping. */
  private confirmed = new Set<string>();
  private stopped = false;
  private readonly now: () => number;
  private readonly clock: Clock;
  readonly counters = {
    batches: 0,
    replayed: 0,
    observations: 0,
    rejected: 0,
    outOfScopeRecords: 0,
    outsideModel: 0,
    capped: 0,
    busy: 0,
    evaluations: 0,
    evaluationErrors: 0,
    reloads: 0,
    reloadErrors: 0,
  };

  constructor(readonly o: CollectorOptions) {
    this.clock = o.clock ?? systemClock;
    this.now = o.now ?? this.clock.now;
  }

  get store(): Store {
    return this.o.store;
  }

  get model(): LoadedModel | null {
    return this.loaded;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Load the model (an unreadable IaC at start is an error); then tick on the interval. */
  async start(): Promise<void> {
    // The first cycle comes one interval after the start, not at once: after an outage the store
    // is stale (older than the freshness window) until the agents' spools drain, and judging it
    // then would flip every endpoint to unobserved and back.
    this.lastCycleAt = this.now();
    await this.backlogs.start(this.o.store, this.now(), this.o.intervalMs, this.o.log);
    await this.warnUnscopedTokens();
    await this.reload({ evaluate: false });
    await this.evaluateNow('refresh');
    await this.prune();
    // The interval tick: reload the IaC, then one damping cycle, then retention. A tick still
    // running (a slow extraction) makes the next one skip rather than pile up.
    this.reloadTimer = this.clock.every(this.o.intervalMs, () => {
      if (this.ticking || this.stopped) return;
      // Every replica keeps its model current (it serves plans); only the leader counts cycles.
      const leads = !this.o.isLeader || this.o.isLeader();
      this.ticking = this.reload({ evaluate: false })
        .catch(() => undefined)
        .then(() => (leads ? this.evaluateNow('tick') : undefined))
        .catch(() => undefined)
        .then(() => (leads ? this.prune() : undefined))
        .finally(() => (this.ticking = null));
      return this.ticking;
    });
  }

  /**
   * Reload the IaC. On failure the previous model stays in force and the error is thrown. A
   * changed model is evaluated as a cycle at once; an unchanged one only refreshes.
   */
  async reload(o: { evaluate?: boolean } = {}): Promise<LoadedModel> {
    let next: LoadedModel;
    try {
      next = await (this.o.load ?? loadModel)(this.o.iac);
    } catch (err) {
      this.counters.reloadErrors++;
      this.o.log.error(
        { err: (err as Error).message, code: (err as PortdriftError).code },
        this.loaded
          ? 'IaC reload failed; the previous model stays in force'
          : 'IaC load failed; the collector cannot start without a model',
      );
      throw err;
    }
    const broken = newProblems(this.loaded, next);
    if (broken.length > 0) {
      // A file that stopped parsing would drop its endpoints, and their findings would resolve
      // as if fixed: keep the last good model until the IaC parses again.
      this.counters.reloadErrors++;
      const list = broken.map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
      this.o.log.error({ problems: list }, 'IaC reload refused; the previous model stays in force');
      throw new PortdriftError(
        'PD_IAC_PARSE',
        `reload refused, the previous model stays in force:\n  ${list.join('\n  ')}`,
        { details: { problems: list } },
      );
    }
    const changed = next.revision !== this.loaded?.revision;
    this.loaded = next;
    this.hosts = modelHosts(next.model);
    this.counters.reloads++;
    await this.refreshTargets();
    if (changed) {
      this.o.log.info(
        {
          revision: next.revision,
          resources: next.model.resources.length,
          endpoints: next.model.endpoints.length,
          problems: next.model.problems.length,
        },
        'IaC loaded',
      );
      // Each problem on its own line, at warn: an operator must see which file was skipped.
      for (const p of next.model.problems)
        this.o.log.warn({ file: p.file, line: p.line, code: p.code }, `IaC problem: ${p.message}`);
    }
    if (o.evaluate !== false) await this.evaluateNow(changed ? 'cycle' : 'refresh');
    return next;
  }

  /** Agent tokens from before scopes may report on any address: say so at every start. */
  private async warnUnscopedTokens(): Promise<void> {
    for (const t of await this.o.store.listTokens()) {
      if (t.role !== 'agent' || t.revokedAt !== null || t.scope !== null) continue;
      const why = 'it may report on any address; replace it with one created with --scope';
      this.o.log.warn({ token: t.id, agent: t.name }, `agent token ${t.name} has no scope: ${why}`);
    }
  }

  /**
   * Retention: old batch ids, series points and observation rows (older than `retentionMs`, far
   * past the freshness window, so no evaluation reads them) go; findings and history stay.
   */
  async prune(): Promise<void> {
    const now = this.now();
    const ago = (ms: number) => new Date(now - ms).toISOString();
    try {
      const r = await this.o.store.prune({
        batchesBefore: ago(this.o.batchRetentionMs ?? 30 * 86_400_000),
        seriesBefore: ago(this.o.seriesRetentionMs ?? 400 * 86_400_000),
        rowsBefore: ago(this.o.retentionMs ?? 30 * 86_400_000),
      });
      if (r.batches || r.series || r.rows) this.o.log.info(r, 'pruned old batch ids, series points and result rows');
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'prune failed');
    }
  }

  /** Recompute plan targets (after a reload or a change of ignore rules). */
  async refreshTargets(): Promise<void> {
    if (!this.loaded) return;
    const m = ignoreMatcher(activeIgnores(await this.o.store.ignores(), this.iso()));
    this.targets = planTargets(withoutIgnored(this.loaded.model, m), {
      intervalMs: this.o.intervalMs,
      discovery: this.o.discovery,
      neighbourhood: this.o.neighbourhood,
    });
  }

  /** `tokenScope`: the agent token's CIDRs (null: a token from before scopes, unrestricted). */
  async plan(agent: string, scope: readonly string[], tokenScope: readonly string[] | null = null): Promise<Plan> {
    const plan = planFor(agent, this.targets, scope, this.o.intervalMs, tokenScope, this.o.checkIntervalMs ?? 0);
    await this.o.store.notePlanServed(agent, this.o.intervalMs, this.iso());
    return plan;
  }

  /**
   * Store a batch. Records of hosts that no IaC names are dropped first (counted, and said in the
   * answer): no evaluation reads them, and an agent token could otherwise fill the disk with
   * made-up hosts. A batch whose id the agent used before is answered from the store.
   */
  async ingest(batch: ParsedBatch): Promise<IngestResult> {
    const kept = inModel(batch, this.hosts);
    const r = await this.o.store.ingestBatch(kept, this.iso());
    this.backlogs.note(batch, this.now(), this.o.freshnessMs);
    // Only a batch stored now: a replay's sweeps were taken (and evaluated) the first time.
    if (!r.replayed) for (const s of kept.sweeps) if (s.confirmed) this.confirmed.add(s.host);
    if (r.replayed) this.counters.replayed++;
    else {
      this.counters.batches++;
      this.counters.observations += r.answer.observations;
      this.counters.outsideModel += r.answer.outsideModel;
      this.counters.capped += r.answer.capped;
      this.scheduleEvaluation();
    }
    return r;
  }

  private scheduleEvaluation(): void {
    if (this.timer || this.stopped) return;
    // Never spend more than ~1/5 of the time evaluating: a large estate's evaluation takes long,
    // and ingest shares the event loop with it.
    this.timer = this.clock.after(Math.max(this.o.debounceMs, 4 * this.lastEvaluationMs), () => {
      this.timer = undefined;
      return this.evaluateNow('refresh').catch(() => undefined);
    });
  }

  /**
   * Run one evaluation (after any running one). `cycle` (default) advances the damping: a
   * changed model, and tests. `tick` (the interval timer) and `refresh` (after batches) advance
   * it only when most of an interval passed since the last cycle, so two cycles are never a
   * moment apart. Errors are logged, counted and rethrown.
   */
  evaluateNow(mode: 'cycle' | 'tick' | 'refresh' = 'cycle'): Promise<void> {
    const run = this.chain.then(() => this.evaluate(mode));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when no evaluation is scheduled or running, nor an interval tick (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.timer) {
        this.timer.cancel();
        this.timer = undefined;
        await this.evaluateNow('refresh').catch(() => undefined);
      }
      await this.ticking;
      await this.chain;
      if (!this.timer && !this.ticking) return;
    }
  }

  private async evaluate(mode: 'cycle' | 'tick' | 'refresh'): Promise<void> {
    if (!this.loaded || this.stopped) return;
    const nowMs = this.now();
    const now = new Date(nowMs).toISOString();
    const held = this.backlogs.held(nowMs);
    // With several replicas only the leader counts cycles (a follower's refresh only refreshes).
    const leads = !this.o.isLeader || this.o.isLeader();
    const advance = leads && (mode === 'cycle' || (!held && nowMs - this.lastCycleAt >= 0.9 * this.o.intervalMs));
    // Taken before the store is read: a confirmed batch stored meanwhile waits for the next one.
    const confirmed = this.confirmed;
    this.confirmed = new Set();
    try {
      const { report, current } = await currentDrift(this.o.store, this.loaded.model, now, this.o.freshnessMs);
      const lifecycle = { now, cycles: this.o.cycles, revision: this.loaded.revision, advance, confirmed };
      const { write, transitions } = evaluateLifecycle(await this.o.store.findings(), current, lifecycle);
      await this.o.store.applyEvaluation(write);
      if (advance) this.lastCycleAt = nowMs;
      this.lastEvaluationMs = this.now() - nowMs;
      this.lastSummary = report.summary;
      this.counters.evaluations++;
      for (const t of transitions) {
        logTransition(this.o.log, t);
        this.o.onTransition?.(t, now);
      }
    } catch (err) {
      this.counters.evaluationErrors++;
      for (const h of confirmed) this.confirmed.add(h);
      this.o.log.error({ err: (err as Error).message }, 'drift evaluation failed');
      throw err;
    }
  }

  /** Findings in the DriftReport shape of `scan --format json`; acknowledged findings stay listed. */
  report(q: FindingQuery = {}): Promise<DriftReport> {
    return findingsReport(this.o.store, this.loaded, this.lastSummary, q, this.iso());
  }

  agents(): Promise<AgentView[]> {
    return agentViews(this.o.store, this.loaded?.model, this.now(), this.o.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.reloadTimer?.cancel();
    this.timer = undefined;
    await this.chain;
  }
}
