// Findings → GitHub-flavoured Markdown for pull-request and merge-request comments: a heading
// with the verdict, the summary line, and one table row per finding. Every piece of text comes
// from IaC files and probed hosts, so it is escaped: a pipe would split a cell, and HTML or
// Markdown syntax in a banner or resource name must render as text, not as markup.
import type { DriftReport, Finding } from '../types.js';
import { changeText, endpointText, liveSummaryLines, sourceText, summaryText } from './finding-text.js';
import { oneLine } from './safe-text.js';

/** Text safe inside a GFM table cell: one line, no controls, pipes and Markdown / HTML syntax escaped. */
export function escapeCell(text: string): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~!])/g, '\\$1');
}

function row(f: Finding): string {
  const kind = f.ack ? `${f.kind} (acknowledged: ${f.ack.reason})` : f.kind;
  const change = f.changedBy !== undefined ? ` (${changeText(f)})` : '';
  const cells = [f.severity, kind, f.resource, endpointText(f), sourceText(f), f.message + change, f.suggestion].map(
    escapeCell,
  );
  return `| ${cells.join(' | ')} |`;
}

export function formatMarkdown(report: DriftReport): string {
  const n = report.summary.findings;
  const head = n === 0 ? '### portdrift: no port drift' : `### portdrift: ${n} finding${n === 1 ? '' : 's'}`;
  const out = [head, '', escapeCell(summaryText(report))];
  for (const line of liveSummaryLines(report)) out.push('', escapeCell(line));
  if (report.findings.length > 0) {
    out.push(
      '',
      '| Severity | Kind | Resource | Endpoint | IaC | Message | Suggestion |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...report.findings.map(row),
    );
  }
  out.push('', `<sub>generated ${escapeCell(report.generatedAt)} by portdrift</sub>`);
  return `${out.join('\n')}\n`;
}
