// Small renderings of a finding shared by the human formats (table, markdown).
import { FINDING_KINDS as KINDS } from '../drift/index.js';
import type { DriftReport, Finding, FindingKind } from '../types.js';

/** `10.0.1.5:5432 → 5433`, `[fd00::5]:5432`, `10.0.1.5:5432 (postgres → redis)` for wrong-service. */
export function endpointText(f: Finding): string {
  const host = f.host.includes(':') ? `[${f.host}]` : f.host;
  const expected = f.expectedService ? `${f.expectedService} → ` : '';
  const services = f.observedService === undefined ? '' : ` (${expected}${f.observedService})`;
  return `${host}:${f.port}${f.observedPort !== undefined ? ` → ${f.observedPort}` : ''}${services}`;
}

/** `scan --live-audit`: `changed by ARN at TIME`, or '' where CloudTrail named no change. */
export function changeText(f: Finding): string {
  if (f.changedBy === undefined) return '';
  return `changed by ${f.changedBy}${f.changedAt !== undefined ? ` at ${f.changedAt}` : ''}`;
}

export function sourceText(f: Finding): string {
  return f.source ? `${f.source.file}:${f.source.line}` : '-';
}

/** `1 moved, 2 missing` in the contract's kind order; later kinds follow. */
export function byKindText(report: DriftReport): string {
  const byKind = report.summary.byKind as Record<string, number | undefined>;
  const names = [
    ...KINDS,
    ...Object.keys(byKind)
      .filter((k) => !KINDS.includes(k as FindingKind))
      .sort(),
  ];
  return names
    .filter((k) => (byKind[k] ?? 0) > 0)
    .map((k) => `${byKind[k]} ${k}`)
    .join(', ');
}

/**
 * With `scan --live`: which IaC resources matched nothing live, which live objects match no IaC,
 * and what could not be read. Lines for the table and markdown summaries; [] without --live.
 */
export function liveSummaryLines(report: DriftReport): string[] {
  const l = report.summary.live;
  if (!l) return [];
  const read =
    Object.entries(l.read)
      .map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`)
      .join(', ') || 'nothing';
  const out = [
    `Live (${l.provider}, ${l.regions.join(', ')}): read ${read}; ${l.matched.length} matched with the IaC.`,
  ];
  if (l.unmatchedResources.length > 0) {
    out.push(`Not live (IaC resources that matched nothing): ${l.unmatchedResources.join(', ')}`);
  }
  if (l.unmanaged.length > 0) {
    const names = l.unmanaged.map((u) => (u.name && u.name !== u.liveId ? `${u.liveId} (${u.name})` : u.liveId));
    out.push(`Not in the IaC (live objects that no resource matches): ${names.join(', ')}`);
  }
  for (const p of l.problems) out.push(`Not read: ${p.region} ${p.operation}: ${p.message} [${p.code}]`);
  return out;
}

/** The one-line summary under a table or above a PR comment. */
export function summaryText(report: DriftReport): string {
  const s = report.summary;
  const resources = `${s.resources} resource${s.resources === 1 ? '' : 's'}`;
  const ignored = s.ignored ? `, ignored ${s.ignored} (.portdriftignore)` : '';
  // Live only (--no-probe): nothing was probed, resources were compared with the cloud API.
  const liveOnly = s.live !== undefined && s.endpoints === 0;
  const checked = liveOnly
    ? `${resources} compared with the live configuration, ${s.live!.matched.length} matched${ignored}`
    : `${resources}, ${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'} checked, ${s.observed} observed${ignored}`;
  if (s.findings === 0) {
    // Zero findings over zero checks is not "in sync": say that nothing was checked.
    if (liveOnly) {
      if (s.live!.matched.length === 0) return `Nothing compared: ${checked} (no IaC resource matched a live object).`;
      return `No drift: ${checked}.`;
    }
    return s.endpoints === 0
      ? `Nothing checked: ${checked} (no declared listen endpoint has a known host).`
      : `No drift: ${checked}.`;
  }
  const acked = report.findings.filter((f) => f.ack).length;
  return (
    `${s.findings} finding${s.findings === 1 ? '' : 's'} (${byKindText(report)}` +
    `)${acked ? `, ${acked} acknowledged` : ''}; ${checked}.`
  );
}
