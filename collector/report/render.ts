// ReportModel → the email's parts: subject, filter headers, plain text, HTML with inline CSS
// (mail clients strip <style> blocks and never load remote resources), and the JSON attachment.
// Pure: sending lives in mail.ts (the parts' bodies in text-part.ts and html-part.ts), so
// `portdrift report --out` and tests render the same bytes.
import { createHash } from 'node:crypto';
import { oneLine } from '../../shared/format/safe-text.js';
import { htmlOf } from './html-part.js';
import type { ReportModel } from './model.js';
import { textOf } from './text-part.js';

export { MAX_ROWS } from './cells.js';

export interface RenderedReport {
  subject: string;
  /** Headers for mail filters (X-Portdrift-Report, X-Portdrift-Severity, List-Id) and Auto-Submitted. */
  headers: Record<string, string>;
  /**
   * The left part of the Message-ID: the same for every rendering of one report period (scope and
   * the start of the period), so a report made again for that period is recognised as the same
   * message by the outbox and by mail clients; another period gets another id.
   */
  periodId: string;
  text: string;
  html: string;
  attachment: { filename: string; content: string; contentType: 'application/json' };
}

export function subjectOf(model: ReportModel): string {
  const m = { ...model, scope: oneLine(model.scope) };
  const late =
    m.lateAgents.length > 0 ? `, ${m.lateAgents.length} agent${m.lateAgents.length === 1 ? '' : 's'} late` : '';
  if (m.baseline) return `portdrift: baseline, ${m.counts.open} open${late} — ${m.scope}`;
  if (m.snapshot) return `portdrift: ${m.counts.open} open${late} — ${m.scope} (snapshot)`;
  return `portdrift: ${m.counts.open} open (${m.counts.new} new), ${m.counts.resolved} resolved${late} — ${m.scope}`;
}

/** `List-Id` wants a dot-atom: the scope reduced to letters, digits and dashes. */
const listAtom = (scope: string): string =>
  scope
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'default';

export function listId(scope: string): string {
  return `portdrift reports for ${scope.replace(/[<>"\r\n]/g, '')} <${listAtom(scope)}.reports.portdrift>`;
}

const compact = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');

/**
 * A report period is named by its scope and its start (the previous report). A baseline has no
 * start: it is named by the time it was made, so a later baseline (a new installation with the
 * same scope) is not taken for a duplicate of an old one.
 */
export function periodIdOf(m: ReportModel): string {
  const start = m.since === null ? `baseline-${compact(m.generatedAt)}` : compact(m.since);
  const kind = m.snapshot ? 'snapshot' : 'report';
  const hash = createHash('sha256')
    .update(JSON.stringify([kind, m.scope, start]))
    .digest('hex')
    .slice(0, 12);
  return `portdrift.${kind}.${listAtom(m.scope)}.${start}.${hash}`;
}

function headersOf(m: ReportModel): Record<string, string> {
  return {
    // RFC 3834: made by a program, so vacation responders and auto-forwarders must not answer it.
    'Auto-Submitted': 'auto-generated',
    'X-Portdrift-Report': `v1; scope=${m.scope.replace(/[;\r\n]/g, '')}; baseline=${m.baseline ? 'yes' : 'no'}`,
    'X-Portdrift-Severity': m.severity,
    'List-Id': listId(m.scope),
  };
}

function jsonOf(m: ReportModel): string {
  return `${JSON.stringify(
    {
      version: 1,
      scope: m.scope,
      generatedAt: m.generatedAt,
      since: m.since,
      baseline: m.baseline,
      snapshot: m.snapshot,
      counts: m.counts,
      coverage: m.coverage,
      agents: { total: m.agentsTotal, late: m.lateAgents },
      new: m.newFindings,
      resolved: m.resolved,
      open: m.open,
      series: m.series,
    },
    null,
    2,
  )}\n`;
}

export function renderReport(m: ReportModel): RenderedReport {
  return {
    subject: subjectOf(m),
    headers: headersOf(m),
    periodId: periodIdOf(m),
    text: textOf(m),
    html: htmlOf(m, subjectOf(m)),
    attachment: {
      filename: `portdrift-report-${m.scope.replace(/[^A-Za-z0-9_-]+/g, '_')}-${m.generatedAt.slice(0, 10)}.json`,
      content: jsonOf(m),
      contentType: 'application/json',
    },
  };
}
