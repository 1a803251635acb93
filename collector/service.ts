// The running collector, apart from HTTP: the declared model (loaded at start, on reload and on
// the interval), plans, ingest, and the drift evaluation that feeds the finding lifecycle.
// Evaluations are serialised and throttled: a batch schedules an evaluation `debounceMs` later
// (one, however many batches arrive meanwhile), so ingest throughput does not pay
// for one drift computation per batch.
import { compareFindings, computeDrift } from '../shared/drift/index.js';
import { podDrift, podIndex, podResources, type PodView } from '../shared/drift/pods.js';
import { PortdriftError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type {
  DeclaredModel,
  DriftReport,
  DriftSummary,
  Finding,
  FindingKind,
  Plan,
  PlanTarget,
  Severity,
} from '../shared/types.js';
import { type Clock, systemClock, type Timer } from './clock.js';
import { ackActive, evaluateLifecycle, type Transition } from './lifecycle/damping.js';
import { activeIgnores, ignoreMatcher, withoutIgnored } from './lifecycle/ignores.js';
import { loadModel, type IacSource, type LoadedModel } from './lifecycle/model.js';
import { declaredPorts, driftObservations } from './lifecycle/observations.js';
import { planFor, planTargets } from './lifecycle/plan.js';
import type { AgentRecord, IngestResult, ParsedBatch, Store, StoredFinding } from './store/types.js';

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

export interface FindingQuery {
  status?: 'open' | 'resolved' | 'all';
  kind?: FindingKind;
  severity?: Severity;
}

export interface AgentView extends AgentRecord {
  late: boolean;
  /** How old the agent's key in force is; null without a live key. */
  keyAgeMs: number | null;
  /** The IaC resources (workloads, Services) whose selector matches the agent's pod. */
  workloads: string[];
}

/** An agent is late after three missed intervals (docs/design/findings.md#late-agents). */
export const LATE_FACTOR = 3;

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
  private readonly draining = new Set<string>();
  private drainDeadline = -Infinity;
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
    await this.awaitBacklogs();
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

  /**
   * One interval is not always enough for the backlogs: under load, or with many batches spooled,
   * an agent's drain can take longer. The agents that were reporting when the collector stopped
   * (seen within LATE_FACTOR of their interval before the last batch of all) hold every damping
   * cycle until each has sent a fresh batch with nothing spooled behind it (backlogIn), for at
   * most LATE_FACTOR intervals: an agent that does not come back holds nothing for long.
   */
  private async awaitBacklogs(): Promise<void> {
    const agents = await this.o.store.agents();
    if (agents.length === 0) return;
    const last = Math.max(...agents.map((a) => Date.parse(a.lastSeen)));
    for (const a of agents) {
      if (last - Date.parse(a.lastSeen) <= LATE_FACTOR * (a.intervalMs ?? this.o.intervalMs)) this.draining.add(a.name);
    }
    this.drainDeadline = this.now() + LATE_FACTOR * this.o.intervalMs;
    const maxWaitMs = LATE_FACTOR * this.o.intervalMs;
    const msg = 'damping waits for the spooled batches of the agents that were reporting';
    this.o.log.info({ agents: this.draining.size, maxWaitMs }, msg);
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
    if (this.draining.size > 0 && backlogIn(batch, this.now(), this.o.freshnessMs)) {
      this.draining.delete(batch.header.agent);
    }
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
    const held = this.draining.size > 0 && nowMs < this.drainDeadline;
    // With several replicas only the leader counts cycles (a follower's refresh only refreshes).
    const leads = !this.o.isLeader || this.o.isLeader();
    const advance = leads && (mode === 'cycle' || (!held && nowMs - this.lastCycleAt >= 0.9 * this.o.intervalMs));
    // Taken before the store is read: a confirmed batch stored meanwhile waits for the next one.
    const confirmed = this.confirmed;
    this.confirmed = new Set();
    try {
      const m = ignoreMatcher(activeIgnores(await this.o.store.ignores(), now));
      const model = withoutIgnored(this.loaded.model, m);
      const declared = declaredPorts(model);
      for (const h of modelHosts(model)) if (!declared.has(h)) declared.set(h, new Set());
      const [stored, sweeps] = await Promise.all([
        this.o.store.driftObservations(declared),
        this.o.store.sweeps(new Set(declared.keys())),
      ]);
      const report = computeDrift(model, driftObservations(model, stored, sweeps), {
        now,
        freshnessMs: this.o.freshnessMs,
      });
      // Agents in pods (--listeners): their pod's listeners against the workload that declares it.
      const pods = await this.podViews();
      if (pods.length > 0) addFindings(report, podDrift(model, pods, { now, freshnessMs: this.o.freshnessMs }));
      const current = report.findings.filter((f) => !m.finding(f));
      const lifecycle = { now, cycles: this.o.cycles, revision: this.loaded.revision, advance, confirmed };
      const { write, transitions } = evaluateLifecycle(await this.o.store.findings(), current, lifecycle);
      await this.o.store.applyEvaluation(write);
      if (advance) this.lastCycleAt = nowMs;
      this.lastEvaluationMs = this.now() - nowMs;
      this.lastSummary = report.summary;
      this.counters.evaluations++;
      for (const t of transitions) {
        this.o.log.info(
          {
            finding: t.finding.id,
            kind: t.finding.kind,
            event: t.event,
            resource: t.finding.resource,
            host: t.finding.host,
            port: t.finding.port,
          },
          `finding ${t.event}`,
        );
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
  async report(q: FindingQuery = {}): Promise<DriftReport> {
    const now = this.iso();
    const status = q.status ?? 'open';
    // Ignore rules apply at once, not only from the next cycle on.
    const ignored = ignoreMatcher(activeIgnores(await this.o.store.ignores(), now));
    const rows = (await this.o.store.findings()).filter(
      (r) => r.status !== 'pending' && (status === 'all' || r.status === status),
    );
    const findings = rows
      .map((r) => present(r, now))
      .filter(
        (f) => !ignored.finding(f) && (!q.kind || f.kind === q.kind) && (!q.severity || f.severity === q.severity),
      );
    const byKind: DriftSummary['byKind'] = {};
    for (const f of findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    const base = this.lastSummary ?? {
      resources: this.loaded?.model.resources.length ?? 0,
      endpoints: this.loaded?.model.endpoints.length ?? 0,
      observed: 0,
    };
    return {
      version: 1,
      generatedAt: now,
      summary: {
        resources: base.resources,
        endpoints: base.endpoints,
        observed: base.observed,
        findings: findings.length,
        byKind,
      },
      findings: findings.sort(compareFindings),
    };
  }

  async agents(): Promise<AgentView[]> {
    const now = this.now();
    const model = this.loaded?.model;
    const index = model ? podIndex(model) : null;
    return (await this.o.store.agents()).map((a) => ({
      ...a,
      late: now - Date.parse(a.lastSeen) > LATE_FACTOR * (a.intervalMs ?? this.o.intervalMs),
      keyAgeMs: a.keyCreatedAt === null ? null : Math.max(0, now - Date.parse(a.keyCreatedAt)),
      workloads: a.pod && model ? podResources(model, a.pod, index!).map((r) => r.address) : [],
    }));
  }

  /** The agents that said their pod, with their latest listener view. */
  private async podViews(): Promise<PodView[]> {
    const agents = (await this.o.store.agents()).filter((a) => a.pod?.namespace && a.pod.labels);
    if (agents.length === 0) return [];
    const byAgent = new Map<string, PodView['listeners'][number][]>();
    for (const l of await this.o.store.listeners()) {
      const list = byAgent.get(l.agent);
      if (list) list.push(l);
      else byAgent.set(l.agent, [l]);
    }
    const view = (a: (typeof agents)[number]): PodView => ({
      agent: a.name,
      pod: a.pod!,
      viewAt: a.listenersAt,
      listeners: byAgent.get(a.name) ?? [],
    });
    return agents.map(view);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.reloadTimer?.cancel();
    this.timer = undefined;
    await this.chain;
  }
}

/** Pod findings join the report: sorted as the engine sorts, counted in the summary. */
function addFindings(report: DriftReport, more: Finding[]): void {
  if (more.length === 0) return;
  report.findings.push(...more);
  report.findings.sort(compareFindings);
  report.summary.findings = report.findings.length;
  for (const f of more) report.summary.byKind[f.kind] = (report.summary.byKind[f.kind] ?? 0) + 1;
}

/**
 * The agent's backlog is in: nothing was spooled behind this batch, and it is fresh. Not the
 * depth alone: the last backlog batch goes out with depth 0 while the sweep that follows the
 * restart is still running, and its data is as stale as the rest of the backlog.
 */
function backlogIn(batch: ParsedBatch, now: number, freshnessMs: number): boolean {
  return batch.header.spoolDepth === 0 && now - Date.parse(batch.header.finishedAt) < freshnessMs;
}

/** Problems of a reload that the model in force did not have (none on the first load). */
function newProblems(current: LoadedModel | null, next: LoadedModel): DeclaredModel['problems'] {
  if (!current) return [];
  const known = new Set(current.model.problems.map((p) => `${p.file}\u0000${p.message}`));
  // A warning (a repeated YAML key) loses nothing: it never refuses a reload.
  return next.model.problems.filter((p) => p.severity !== 'warning' && !known.has(`${p.file}\u0000${p.message}`));
}

/** The batch without the sweep and obs records of hosts outside `hosts` (the same batch when none is). */
function inModel(batch: ParsedBatch, hosts: ReadonlySet<string>): ParsedBatch {
  const sweeps = batch.sweeps.filter((s) => hosts.has(s.host));
  const observations = batch.observations.filter((o) => hosts.has(o.host));
  const outside = batch.sweeps.length - sweeps.length + batch.observations.length - observations.length;
  return outside === 0 ? batch : { ...batch, sweeps, observations, outsideModel: outside };
}

/** Every host the model knows (resources' hosts and endpoints' hosts). */
function modelHosts(model: DeclaredModel): Set<string> {
  const hosts = new Set<string>();
  for (const r of model.resources) for (const h of r.hosts) hosts.add(h);
  for (const e of model.endpoints) if (e.host !== null) hosts.add(e.host);
  return hosts;
}

/** A stored finding as the API shows it: the ack only while active, resolvedAt only once resolved. */
export function present(r: StoredFinding, now: string): Finding {
  const { resolvedAt, ...rest } = r.finding;
  const f: Finding = { ...rest, ack: ackActive(r, now) ? r.ack : null };
  if (r.status === 'resolved') f.resolvedAt = resolvedAt ?? null;
  return f;
}
