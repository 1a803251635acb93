// Small renderings of a finding shared by the human formats (table, markdown).
import type { DriftReport, Finding, FindingKind } from '../types.js';

const KINDS: readonly FindingKind[] = ['moved', 'missing', 'unreachable', 'undeclared', 'unobserved'];

/** `10.0.1.5:5432 → 5433`, `[fd00::5]:5432`. */
export function endpointText(f: Finding): string {
  const host = f.host.includes(':') ? `[${f.host}]` : f.host;
  return `${host}:${f.port}${f.observedPort !== undefined ? ` → ${f.observedPort}` : ''}`;
}

export function sourceText(f: Finding): string {
  return f.source ? `${f.source.file}:${f.source.line}` : '-';
}

/** `1 moved, 2 missing` in the contract's kind order; later kinds follow. */
export function byKindText(report: DriftReport): string {
  const byKind = report.summary.byKind as Record<string, number | undefined>;
  const names = [...KINDS, ...Object.keys(byKind).filter((k) => !KINDS.includes(k as FindingKind)).sort()];
  return names.filter((k) => (byKind[k] ?? 0) > 0).map((k) => `${byKind[k]} ${k}`).join(', ');
}

/** The one-line summary under a table or above a PR comment. */
export function summaryText(report: DriftReport): string {
  const s = report.summary;
  const ignored = s.ignored ? `, ignored ${s.ignored} (.portdriftignore)` : '';
  const checked = `${s.resources} resource${s.resources === 1 ? '' : 's'}, ${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'} checked, ${s.observed} observed${ignored}`;
  // Zero findings over zero checks is not "in sync": say that nothing was checked.
  if (s.findings === 0) return s.endpoints === 0 ? `Nothing checked: ${checked} (no declared listen endpoint has a known host).` : `No drift: ${checked}.`;
  const acked = report.findings.filter((f) => f.ack).length;
  return `${s.findings} finding${s.findings === 1 ? '' : 's'} (${byKindText(report)})${acked ? `, ${acked} acknowledged` : ''}; ${checked}.`;
}
