// GET /metrics in the Prometheus text format (version 0.0.4). It needs a reader (or admin)
// token: finding counts and agent names describe the estate's weak spots, so they are not
// public; Prometheus sends the token with `authorization: { credentials_file: … }`.
import type { Collector } from '../../service.js';
import type { ByteBudget } from '../budget.js';
import { sendText } from '../respond.js';
import type { Route } from '../router.js';
import { FINDING_KINDS } from '../../../shared/drift/index.js';

const SEVERITIES = ['low', 'medium', 'high'] as const;
const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export async function renderMetrics(c: Collector, inflight?: ByteBudget): Promise<string> {
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Record<string, string>, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(v) ? v : 0}`);
    }
  };
  const report = await c.report({ status: 'open' });
  const counts = new Map<string, number>();
  for (const f of report.findings) counts.set(`${f.kind}/${f.severity}`, (counts.get(`${f.kind}/${f.severity}`) ?? 0) + 1);
  metric('portdrift_findings_open', 'gauge', 'Open findings by kind and severity.', FINDING_KINDS.flatMap((k) => SEVERITIES.map((s): [Record<string, string>, number] => [{ kind: k, severity: s }, counts.get(`${k}/${s}`) ?? 0])));
  metric('portdrift_findings_acknowledged', 'gauge', 'Open findings with an active acknowledgement.', [[{}, report.findings.filter((f) => f.ack).length]]);
  const agents = await c.agents();
  metric('portdrift_agents', 'gauge', 'Agents known to the collector.', [[{}, agents.length]]);
  metric('portdrift_agents_late', 'gauge', 'Agents without a batch for three intervals.', [[{}, agents.filter((a) => a.late).length]]);
  metric('portdrift_agent_last_seen_seconds', 'gauge', 'Unix time of the last batch of each agent.', agents.map((a) => [{ agent: a.name }, Date.parse(a.lastSeen) / 1000]));
  metric('portdrift_agent_spool_depth', 'gauge', "Batches waiting in the agent's spool when it last reported.", agents.map((a) => [{ agent: a.name }, a.spoolDepth]));
  metric('portdrift_agent_spool_dropped_total', 'counter', 'Batches the agent dropped (spool full), summed over its reports.', agents.map((a) => [{ agent: a.name }, a.spoolDropped]));
  const k = c.counters;
  metric('portdrift_ingest_batches_total', 'counter', 'Batches stored since start.', [[{}, k.batches]]);
  metric('portdrift_ingest_replayed_total', 'counter', 'Repeated batches (same Idempotency-Key) answered without storing.', [[{}, k.replayed]]);
  metric('portdrift_ingest_rejected_total', 'counter', 'Batches refused as invalid.', [[{}, k.rejected]]);
  const counter = (name: string, help: string, v: number) => metric(name, 'counter', help, [[{}, v]]);
  counter(
    'portdrift_ingest_out_of_scope_records_total',
    "Records outside the agent token's scope (their batches were refused).",
    k.outOfScopeRecords,
  );
  counter('portdrift_ingest_outside_model_records_total', 'Records dropped: no IaC names their host.', k.outsideModel);
  counter('portdrift_ingest_capped_records_total', 'Records not stored: the agent reached maxRowsPerAgent.', k.capped);
  counter('portdrift_ingest_busy_total', 'Batches answered 503: the bytes in flight were at maxInflightBytes.', k.busy);
  if (inflight) {
    const help = 'Bytes of batches being read, parsed or stored now.';
    metric('portdrift_http_inflight_bytes', 'gauge', help, [[{}, inflight.inFlight]]);
  }
  metric('portdrift_ingest_observations_total', 'counter', 'Observation records stored since start.', [[{}, k.observations]]);
  metric('portdrift_evaluations_total', 'counter', 'Drift evaluations since start.', [[{}, k.evaluations]]);
  metric('portdrift_evaluation_errors_total', 'counter', 'Drift evaluations that failed.', [[{}, k.evaluationErrors]]);
  metric('portdrift_iac_reload_errors_total', 'counter', 'IaC reloads that failed (the previous model stayed in force).', [[{}, k.reloadErrors]]);
  const s = await c.store.stats();
  metric('portdrift_store_bytes', 'gauge', 'Size of the store file and its WAL.', [[{}, s.bytes]]);
  metric('portdrift_store_current_observations', 'gauge', 'Rows of latest per-port state.', [[{}, s.observations]]);
  metric('portdrift_store_batches', 'gauge', 'Batch ids recorded (idempotency).', [[{}, s.batches]]);
  const m = c.model;
  metric('portdrift_declared_endpoints', 'gauge', 'Endpoints in the declared model.', [[{}, m?.model.endpoints.length ?? 0]]);
  return `${lines.join('\n')}\n`;
}

export const metricsRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/metrics$/,
    access: 'reader',
    async handle({ res, deps, inflight }) {
      sendText(res, 200, await renderMetrics(deps.collector, inflight), 'text/plain; version=0.0.4; charset=utf-8');
    },
  },
];
