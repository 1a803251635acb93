// Three-way drift: the declared model (IaC) against the configured model (the cloud API, `scan
// --live`) and, where probing ran, the observations. Pure: no IO, no clock.
//
// - `config-drift` (high): a matched DB instance, target group, ElastiCache cluster or
//   replication group, or ECS service (its load balancer's container port) whose configured port
//   is not the declared one; a declared container port that the live task definition does not map.
// - `unmanaged-rule` (high for admin / database ports, else medium): an ingress rule of a matched
//   security group that no IaC rule of that group declares.
// - `missing-rule` (medium): an IaC ingress rule of a matched group that the group does not have.
// - `stale-rule` (low, with probing only): a rule of a matched group behind which nothing listens
//   on any host that carries the group (live-stale.ts).
// Rules are compared by protocol and port range; their sources are shown, not yet compared.
// Resources and objects that match nothing are listed in `summary.live`, not as findings: an
// account holds much that this IaC does not manage.
import { SENSITIVE_PORTS } from '../ports.js';
import type {
  ConfiguredModel,
  DeclaredEndpoint,
  DeclaredModel,
  DriftReport,
  DriftSummary,
  Finding,
  FindingKind,
  LayerValue,
  LiveKind,
  LiveObject,
  LiveRule,
  LiveSummary,
  Observation,
  Resource,
  Severity,
} from '../types.js';
import { FINDING_KINDS, compareFindings, findingId } from './index.js';
import { configDriftText, containerDriftText, missingRuleText, unmanagedRuleText } from './live-messages.js';
import { matchLive } from './live-match.js';
import { staleRules } from './live-stale.js';
import { endpointsByResource, rulesOfGroups } from './live-targets.js';

export interface LiveDriftOptions {
  now: string;
  /** Observations of the same run (empty with --no-probe): fill the `observed` layer. */
  observations?: readonly Observation[];
  /** False with --no-probe: `observed` is null because that layer was not read. */
  probed?: boolean;
}

export interface LiveDrift {
  findings: Finding[];
  live: LiveSummary;
}

interface Draft {
  kind: FindingKind;
  severity: Severity;
  resource: string;
  source: Finding['source'];
  host: string;
  port: number;
  liveId: string;
  declared: LayerValue | null;
  configured: LayerValue | null;
  observed: LayerValue | null;
  text: { message: string; suggestion: string };
}

const layer = (protocol: LayerValue['protocol'], port: number, toPort?: number, sources?: string[]): LayerValue => ({
  port,
  ...(toPort !== undefined && toPort !== port ? { toPort } : {}),
  protocol,
  ...(sources ? { sources } : {}),
});

const ruleKey = (protocol: string, port: number, toPort: number): string =>
  protocol === 'all' ? 'all' : `${protocol}:${port}-${toPort}`;

function sensitive(r: LiveRule): boolean {
  if (r.toPort - r.port > 1000) return true;
  for (let p = r.port; p <= r.toPort; p++) if (SENSITIVE_PORTS.has(p)) return true;
  return false;
}

export function computeLiveDrift(
  model: DeclaredModel,
  configured: ConfiguredModel,
  options: LiveDriftOptions,
): LiveDrift {
  const { matches, unmatched, unmanaged } = matchLive(model.resources, configured);
  const byResource = endpointsByResource(model);
  // Standalone rules (aws_security_group_rule, aws_vpc_security_group_ingress_rule) by the group they name.
  const rulesOf = rulesOfGroups(model, byResource);
  const drafts: Draft[] = [];
  const observedAt = (host: string, ports: number[]): LayerValue | null => {
    if (!options.probed) return null;
    const isOpen = (o: Observation): boolean => o.host === host && o.state === 'open' && ports.includes(o.port);
    const open = (options.observations ?? []).find(isOpen);
    return open ? layer('tcp', open.port) : null;
  };

  for (const { resource, object } of matches) {
    const own = byResource.get(resource.address) ?? [];
    if (PORT_KINDS.has(object.kind)) {
      portDrift(resource, object, own, drafts, observedAt);
    } else if (object.kind === 'task-definition') {
      containerPortDrift(resource, object, own, drafts);
    } else if (object.kind === 'security-group') {
      const declared = [...own, ...(rulesOf.get(resource.address) ?? [])];
      ruleDrift(resource, object, declared, drafts);
      if (options.probed) {
        for (const d of staleRules(resource, object, declared, configured, options.observations ?? [])) {
          const at = { host: object.id, liveId: object.id, observed: null };
          drafts.push({ ...d, ...at, kind: 'stale-rule', severity: 'low' });
        }
      }
    }
  }

  const now = options.now;
  const findings: Finding[] = drafts.map((d) => ({
    id: findingId(d.kind, d.resource, d.host, d.port),
    kind: d.kind,
    severity: d.severity,
    resource: d.resource,
    source: d.source ? { ...d.source } : null,
    host: d.host,
    port: d.port,
    state: null,
    agent: null,
    firstSeen: now,
    lastSeen: now,
    message: d.text.message,
    suggestion: d.text.suggestion,
    ack: null,
    declared: d.declared,
    configured: d.configured,
    observed: d.observed,
    liveId: d.liveId,
  }));
  findings.sort(compareFindings);

  const read: Record<string, number> = {};
  for (const o of configured.objects) read[o.kind] = (read[o.kind] ?? 0) + 1;
  return {
    findings,
    live: {
      provider: configured.provider,
      regions: [...configured.regions],
      read,
      matched: matches.map((m) => ({ resource: m.resource.address, liveId: m.object.id, by: m.by })),
      unmatchedResources: unmatched.map((r) => r.address),
      unmanaged: unmanaged.map((o) => ({ kind: o.kind, liveId: o.id, name: o.name, region: o.region })),
      problems: configured.problems.map((p) => ({ ...p })),
    },
  };
}

type ObservedAt = (host: string, ports: number[]) => LayerValue | null;

/** Live kinds with one configured port that the IaC's listen port must equal. */
const PORT_KINDS: ReadonlySet<LiveKind> = new Set([
  'db-instance',
  'target-group',
  'cache-cluster',
  'replication-group',
  'ecs-service',
]);

/**
 * A task definition maps several container ports: each declared port the live revision does not
 * map is drift, paired (in port order) with a live port the IaC does not declare where there is one.
 */
function containerPortDrift(resource: Resource, o: LiveObject, own: DeclaredEndpoint[], drafts: Draft[]): void {
  const live = o.ports;
  if (live === undefined) return;
  const listen = own.filter((e) => e.role === 'listen' && e.toPort === undefined);
  const declared = new Set(listen.map((e) => e.port));
  const extra = live.filter((p) => !declared.has(p));
  const seen = new Set<number>();
  for (const e of [...listen].sort((a, b) => a.port - b.port)) {
    if (live.includes(e.port) || seen.has(e.port)) continue;
    seen.add(e.port);
    const configured = extra.shift();
    drafts.push({
      kind: 'config-drift',
      severity: 'high',
      resource: resource.address,
      source: e.source,
      host: o.id,
      port: e.port,
      liveId: o.id,
      declared: layer(e.protocol, e.port),
      configured: configured !== undefined ? layer('tcp', configured) : null,
      observed: null,
      text: containerDriftText(e, o, configured),
    });
  }
}

function portDrift(
  resource: Resource,
  o: LiveObject,
  own: DeclaredEndpoint[],
  drafts: Draft[],
  observedAt: ObservedAt,
): void {
  const live = o.port;
  const listen = own.filter((e) => e.role === 'listen' && e.toPort === undefined);
  if (live === undefined || listen.length === 0 || listen.some((e) => e.port === live)) return;
  const seen = new Set<number>();
  for (const e of listen) {
    if (seen.has(e.port)) continue;
    seen.add(e.port);
    const host = o.address ?? o.id;
    drafts.push({
      kind: 'config-drift',
      severity: 'high',
      resource: resource.address,
      source: e.source,
      host,
      port: e.port,
      liveId: o.id,
      declared: layer(e.protocol, e.port),
      configured: layer('tcp', live),
      observed: observedAt(host, [e.port, live]),
      text: configDriftText(e, o, live),
    });
  }
}

function ruleDrift(group: Resource, sg: LiveObject, declaredAll: DeclaredEndpoint[], drafts: Draft[]): void {
  const declared = declaredAll.filter((e) => e.role === 'allow' && e.direction === 'ingress');
  const declaredKeys = new Set(declared.map((e) => ruleKey(e.protocol, e.port, e.toPort ?? e.port)));
  const live = (sg.ingress ?? []).filter((r) => r.protocol !== 'other');
  const liveKeys = new Set(live.map((r) => ruleKey(r.protocol, r.port, r.toPort)));
  for (const r of live) {
    if (declaredKeys.has(ruleKey(r.protocol, r.port, r.toPort))) continue;
    drafts.push({
      kind: 'unmanaged-rule',
      severity: sensitive(r) ? 'high' : 'medium',
      resource: group.address,
      source: group.source,
      host: sg.id,
      port: r.port,
      liveId: sg.id,
      declared: null,
      configured: layer(r.protocol === 'other' ? 'all' : r.protocol, r.port, r.toPort, r.sources),
      observed: null,
      text: unmanagedRuleText(group, sg, r),
    });
  }
  const seen = new Set<string>();
  for (const e of declared) {
    const key = ruleKey(e.protocol, e.port, e.toPort ?? e.port);
    if (liveKeys.has(key) || seen.has(key)) continue;
    seen.add(key);
    drafts.push({
      kind: 'missing-rule',
      severity: 'medium',
      resource: e.resource,
      source: e.source,
      host: sg.id,
      port: e.port,
      liveId: sg.id,
      declared: layer(e.protocol, e.port, e.toPort),
      configured: null,
      observed: null,
      text: missingRuleText(e, sg),
    });
  }
}

/** The report of a scan with the live layer: its findings added, counts redone, `summary.live` set. */
export function withLive(report: DriftReport, drift: LiveDrift): DriftReport {
  const findings = [...report.findings, ...drift.findings].sort(compareFindings);
  const counts = new Map<FindingKind, number>();
  for (const f of findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  const byKind: DriftSummary['byKind'] = {};
  for (const k of FINDING_KINDS) if (counts.has(k)) byKind[k] = counts.get(k)!;
  return { ...report, summary: { ...report.summary, findings: findings.length, byKind, live: drift.live }, findings };
}

/** The report of a run that compared declared with configured only (--no-probe): nothing probed. */
export function emptyReport(model: DeclaredModel, now: string): DriftReport {
  const summary = { resources: model.resources.length, endpoints: 0, observed: 0, findings: 0, byKind: {} };
  return { version: 1, generatedAt: now, summary, findings: [] };
}

/**
 * `--live-audit`: the last change of each finding's live object (`changedBy` / `changedAt`,
 * finding id → change) set on the findings, and what could not be looked up added to the live
 * problems. Pure: the lookups are made by the caller.
 */
export function withAudit(
  report: DriftReport,
  changes: ReadonlyMap<string, { changedBy: string; changedAt: string }>,
  problems: readonly LiveSummary['problems'][number][],
): DriftReport {
  const findings = report.findings.map((f) => {
    const c = changes.get(f.id);
    return c ? { ...f, changedBy: c.changedBy, changedAt: c.changedAt } : f;
  });
  const live = report.summary.live;
  const summary =
    live && problems.length > 0
      ? { ...report.summary, live: { ...live, problems: [...live.problems, ...problems] } }
      : report.summary;
  return { ...report, summary, findings };
}
