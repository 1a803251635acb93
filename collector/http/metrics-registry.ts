// The collector's Prometheus series, on prom-client (its one home in the product): one Registry
// per HTTP handler, never prom-client's global one, so several collectors in one process (the
// tests) keep their series apart. Most values live elsewhere (the collector's counters, the
// store, the agents' reports): a scrape reads them once, sets every series, then renders. The
// process_* and nodejs_* series are prom-client's defaults; `portdrift_build_info` names the
// product and Node.js versions. Each replica of a PostgreSQL collector says who it is
// (`portdrift_collector_info`), whether it leads and whether it reaches its database; while it
// does not, the series read from the store keep their last values and the scrape still answers.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { isPortdriftError } from '../../shared/errors.js';
import { FINDING_KINDS } from '../../shared/drift/index.js';
import { VERSION } from '../../shared/version.js';
import type { Collector } from '../service.js';
import type { ByteBudget } from './budget.js';

const SEVERITIES = ['low', 'medium', 'high'] as const;

/** One handler's /metrics: the text of a scrape and its content type. */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

/** A counter kept elsewhere as a running number: each scrape sets it to that number. */
function setCounter<L extends string>(c: Counter<L>, v: number, labels?: Partial<Record<L, string>>): void {
  const n = Number.isFinite(v) && v > 0 ? v : 0;
  if (labels) c.inc(labels, n);
  else c.inc(n);
}

const finite = (v: number): number => (Number.isFinite(v) ? v : 0);

export interface MetricsOptions {
  /** Whether this replica leads and reaches its database; absent: one collector (both true). */
  health?: () => Promise<{ leader: boolean; database: boolean }>;
  /** This collector process: its replica id (the lease holder) and host name. */
  replica?: { id: string; host: string };
}

export function createMetrics(c: Collector, inflight?: ByteBudget, o: MetricsOptions = {}): MetricsExposition {
  const register = new Registry();
  const registers = [register];
  const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });

  const findingsOpen = gauge('portdrift_findings_open', 'Open findings by kind and severity.', ['kind', 'severity']);
  const acknowledged = gauge('portdrift_findings_acknowledged', 'Open findings with an active acknowledgement.');
  const agents = gauge('portdrift_agents', 'Agents known to the collector.');
  const late = gauge('portdrift_agents_late', 'Agents without a batch for three intervals.');
  const lastSeen = gauge('portdrift_agent_last_seen_seconds', 'Unix time of the last batch of each agent.', ['agent']);
  const spoolDepth = gauge(
    'portdrift_agent_spool_depth',
    "Batches waiting in the agent's spool when it last reported.",
    ['agent'],
  );
  const spoolDropped = counter(
    'portdrift_agent_spool_dropped_total',
    'Batches the agent dropped (spool full), summed over its reports.',
    ['agent'],
  );
  const k = c.counters;
  // The collector's own running counters, in the order the series were always listed.
  const running: Array<[Counter<never>, () => number]> = [
    [counter('portdrift_ingest_batches_total', 'Batches stored since start.'), () => k.batches],
    [
      counter('portdrift_ingest_replayed_total', 'Repeated batches (same Idempotency-Key) answered without storing.'),
      () => k.replayed,
    ],
    [counter('portdrift_ingest_rejected_total', 'Batches refused as invalid.'), () => k.rejected],
    [
      counter(
        'portdrift_ingest_out_of_scope_records_total',
        "Records outside the agent token's scope (their batches were refused).",
      ),
      () => k.outOfScopeRecords,
    ],
    [
      counter('portdrift_ingest_outside_model_records_total', 'Records dropped: no IaC names their host.'),
      () => k.outsideModel,
    ],
    [
      counter('portdrift_ingest_capped_records_total', 'Records not stored: the agent reached maxRowsPerAgent.'),
      () => k.capped,
    ],
    [
      counter('portdrift_ingest_busy_total', 'Batches answered 503: the bytes in flight were at maxInflightBytes.'),
      () => k.busy,
    ],
  ];
  const inflightBytes = inflight
    ? gauge('portdrift_http_inflight_bytes', 'Bytes of batches being read, parsed or stored now.')
    : null;
  running.push(
    [counter('portdrift_ingest_observations_total', 'Observation records stored since start.'), () => k.observations],
    [counter('portdrift_evaluations_total', 'Drift evaluations since start.'), () => k.evaluations],
    [counter('portdrift_evaluation_errors_total', 'Drift evaluations that failed.'), () => k.evaluationErrors],
    [
      counter('portdrift_iac_reload_errors_total', 'IaC reloads that failed (the previous model stayed in force).'),
      () => k.reloadErrors,
    ],
  );
  const storeBytes = gauge('portdrift_store_bytes', 'Size of the store file and its WAL.');
  const storeObservations = gauge('portdrift_store_current_observations', 'Rows of latest per-port state.');
  const storeBatches = gauge('portdrift_store_batches', 'Batch ids recorded (idempotency).');
  const endpoints = gauge('portdrift_declared_endpoints', 'Endpoints in the declared model.');
  gauge('portdrift_build_info', 'The portdrift version and the Node.js version running it (always 1).', [
    'version',
    'node',
  ]).set({ version: VERSION, node: process.versions.node }, 1);
  if (o.replica)
    gauge('portdrift_collector_info', 'This collector replica: its id (the lease holder) and host (always 1).', [
      'replica',
      'host',
    ]).set({ replica: o.replica.id, host: o.replica.host }, 1);
  const leader = gauge(
    'portdrift_collector_leader',
    'Whether this replica runs the scheduled work now (1: it holds the leader lease; always 1 on SQLite).',
  );
  const storeUp = gauge('portdrift_store_up', 'Whether this replica reaches its store now (1) or not (0).');
  collectDefaultMetrics({ register });

  /** What the store says, or null while it cannot be reached (the series keep their values). */
  const readStore = async () => {
    try {
      return await Promise.all([c.report({ status: 'open' }), c.agents(), c.store.stats()]);
    } catch (err) {
      if (isPortdriftError(err) && err.code === 'PD_STORE_UNAVAILABLE') return null;
      throw err;
    }
  };

  return {
    contentType: register.contentType,
    async render() {
      // Read everything first, then set every series with no await in between: two scrapes at
      // once never render a series another one has half reset.
      const h = o.health ? await o.health() : { leader: true, database: true };
      const read = h.database ? await readStore() : null;
      leader.set(h.leader ? 1 : 0);
      storeUp.set(read ? 1 : 0);
      for (const [m, value] of running) {
        m.reset();
        setCounter(m, value());
      }
      if (inflightBytes && inflight) inflightBytes.set(inflight.inFlight);
      endpoints.set(c.model?.model.endpoints.length ?? 0);
      if (!read) return register.metrics();
      const [report, agentList, stats] = read;
      const counts = new Map<string, number>();
      for (const f of report.findings) {
        const key = `${f.kind}/${f.severity}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const kind of FINDING_KINDS) {
        for (const severity of SEVERITIES) findingsOpen.set({ kind, severity }, counts.get(`${kind}/${severity}`) ?? 0);
      }
      acknowledged.set(report.findings.filter((f) => f.ack).length);
      agents.set(agentList.length);
      late.set(agentList.filter((a) => a.late).length);
      // Per-agent series start empty at each scrape, so a removed agent's series goes away.
      lastSeen.reset();
      spoolDepth.reset();
      spoolDropped.reset();
      for (const a of agentList) {
        lastSeen.set({ agent: a.name }, finite(Date.parse(a.lastSeen) / 1000));
        spoolDepth.set({ agent: a.name }, finite(a.spoolDepth));
        setCounter(spoolDropped, a.spoolDropped, { agent: a.name });
      }
      storeBytes.set(finite(stats.bytes));
      storeObservations.set(finite(stats.observations));
      storeBatches.set(finite(stats.batches));
      return register.metrics();
    },
  };
}
