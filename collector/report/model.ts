// What one emailed report is about, computed from what the collector knows: the findings (open
// and recently resolved), the coverage of declared endpoints, the agents and the history of open
// counts. Pure: the caller (the scheduler, or `portdrift report --out`) gathers the data; this
// turns it into the report's content, so rendering and tests need no store.
import type { DriftReport, Finding, Severity } from '../../shared/types.js';

export interface AgentStatus {
  name: string;
  /** ISO time of the agent's last batch, or null if it never reported. */
  lastSeen: string | null;
  /** The interval the agent is expected to report at. */
  intervalMs: number;
}

export interface ReportData {
  /** What the report covers, e.g. `prod`; in the subject and the List-Id. */
  scope: string;
  /** ISO time the report is made. */
  now: string;
  /** ISO time of the previous report, or null for the first report of an installation (a baseline). */
  since: string | null;
  /** Open findings, and findings resolved since `since` (`resolvedAt` set). */
  findings: Finding[];
  coverage: { declared: number; observed: number };
  agents: AgentStatus[];
  /** Open-finding counts over the period, oldest first (from the collector's history). */
  series: Array<{ at: string; open: number }>;
  /**
   * A one-off rendering of saved findings (`portdrift report --from FILE`): no previous report
   * exists to compare with, and it is not an installation's first report either.
   */
  snapshot?: boolean;
  /** A link to the collector (or any page) shown in the footer and beside each finding, optional. */
  link?: string;
}

export interface AgedFinding {
  finding: Finding;
  ageMs: number;
}

export interface ReportModel {
  scope: string;
  generatedAt: string;
  since: string | null;
  baseline: boolean;
  snapshot: boolean;
  counts: { open: number; new: number; resolved: number; acknowledged: number; bySeverity: Record<Severity, number> };
  /** Open findings first seen since the last report (empty for a baseline: nothing is "new"). */
  newFindings: Finding[];
  resolved: Finding[];
  /** Open findings older than the last report, oldest first. */
  stillOpen: AgedFinding[];
  /** All open findings, most severe first: the table of the report. */
  open: Finding[];
  coverage: { declared: number; observed: number; ratio: number | null };
  lateAgents: Array<AgentStatus & { lateByMs: number | null }>;
  agentsTotal: number;
  oldestOpenMs: number | null;
  /** The most severe open, unacknowledged finding: the X-Portdrift-Severity header. */
  severity: Severity | 'none';
  series: Array<{ at: string; open: number }>;
  link?: string;
}

const RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

/** An agent is late after three missed intervals (docs/design/findings.md#late-agents). */
export const LATE_FACTOR = 3;

const t = (iso: string): number => Date.parse(iso);

export function buildReportModel(data: ReportData): ReportModel {
  const now = t(data.now);
  const since = data.since === null ? null : t(data.since);
  const open = data.findings.filter((f) => !f.resolvedAt);
  const resolved = data.findings.filter(
    (f) => f.resolvedAt && (since === null || t(f.resolvedAt) > since) && t(f.resolvedAt) <= now,
  );
  const snapshot = data.snapshot === true;
  const baseline = since === null && !snapshot;
  const isNew = (f: Finding): boolean => since !== null && t(f.firstSeen) > since;
  const bySeverity: Record<Severity, number> = { high: 0, medium: 0, low: 0 };
  for (const f of open) bySeverity[f.severity]++;
  const sorted = [...open].sort(
    (a, b) => RANK[a.severity] - RANK[b.severity] || t(a.firstSeen) - t(b.firstSeen) || a.id.localeCompare(b.id),
  );
  const stillOpen = open
    .filter((f) => !isNew(f))
    .map((finding) => ({ finding, ageMs: Math.max(0, now - t(finding.firstSeen)) }))
    .sort((a, b) => b.ageMs - a.ageMs || a.finding.id.localeCompare(b.finding.id));
  const lateAgents = data.agents
    .map((a) => ({ ...a, lateByMs: a.lastSeen === null ? null : now - t(a.lastSeen) - a.intervalMs }))
    .filter((a) => a.lastSeen === null || now - t(a.lastSeen) > LATE_FACTOR * a.intervalMs);
  const unacked = open.filter((f) => !f.ack);
  const severity =
    unacked.length === 0 ? 'none' : [...unacked].sort((a, b) => RANK[a.severity] - RANK[b.severity])[0]!.severity;
  return {
    scope: data.scope,
    generatedAt: data.now,
    since: data.since,
    baseline,
    snapshot,
    counts: {
      open: open.length,
      new: open.filter(isNew).length,
      resolved: resolved.length,
      acknowledged: open.length - unacked.length,
      bySeverity,
    },
    newFindings: sorted.filter(isNew),
    resolved: [...resolved].sort((a, b) => t(b.resolvedAt!) - t(a.resolvedAt!)),
    stillOpen,
    open: sorted,
    coverage: {
      ...data.coverage,
      ratio: data.coverage.declared === 0 ? null : data.coverage.observed / data.coverage.declared,
    },
    lateAgents,
    agentsTotal: data.agents.length,
    oldestOpenMs:
      stillOpen.length > 0
        ? stillOpen[0]!.ageMs
        : open.length > 0
          ? Math.max(0, ...open.map((f) => now - t(f.firstSeen)))
          : null,
    severity,
    series: data.series,
    ...(data.link ? { link: data.link } : {}),
  };
}

/** `3d 4h`, `5h 12m`, `40m`: ages at the precision a reader needs. */
export function formatAge(ms: number): string {
  const m = Math.floor(ms / 60_000);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m % 60 > 0 ? `${h}h ${m % 60}m` : `${h}h`;
  return `${m}m`;
}

/** A saved `scan` / `drift` JSON as report data: a snapshot, with no agents or history. */
export function reportDataFromDrift(report: DriftReport, scope: string, link?: string): ReportData {
  return {
    scope,
    now: report.generatedAt,
    since: null,
    snapshot: true,
    findings: report.findings.filter((f) => !f.resolvedAt),
    coverage: { declared: report.summary.endpoints, observed: report.summary.observed },
    agents: [],
    series: [],
    ...(link ? { link } : {}),
  };
}
