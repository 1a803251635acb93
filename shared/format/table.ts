// Findings → a table for a terminal: severity, kind, resource, host:port, IaC file:line and
// the message, then the suggestion on its own indented line (it is the part people act on, and
// too long for a column), then a summary line. Colour only when asked (the CLI asks when stdout
// is a TTY and NO_COLOR is unset), so piped output and logs stay plain text.
import type { DriftReport, Finding, Severity } from '../types.js';
import { columns } from './extraction.js';
import { endpointText, liveSummaryLines, sourceText, summaryText } from './finding-text.js';

export interface TableOptions {
  color?: boolean;
}

const SGR: Record<Severity, string> = { high: '\u001b[31m', medium: '\u001b[33m', low: '\u001b[2m' };
const RESET = '\u001b[0m';

// Terminal control characters in a hostile banner or file name must not reach the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const clean = (s: string): string => s.replace(CONTROL, '?').replace(/\s*\n\s*/g, ' ');

// An undeclared port belongs to every resource on its host; the column shows the first and a
// count (the message names them all), so one busy host does not widen the whole table.
function resourceCell(resource: string): string {
  const list = resource.split(', ');
  return list.length > 2 ? `${list[0]} +${list.length - 1}` : resource;
}

function row(f: Finding): string[] {
  return [f.severity.toUpperCase(), f.ack ? `${f.kind} (acked)` : f.kind, clean(resourceCell(f.resource)), clean(endpointText(f)), clean(sourceText(f)), clean(f.message)];
}

export function formatTable(report: DriftReport, options: TableOptions = {}): string {
  const out: string[] = [];
  if (report.findings.length > 0) {
    const lines = columns([['SEVERITY', 'KIND', 'RESOURCE', 'ENDPOINT', 'IAC', 'MESSAGE'], ...report.findings.map(row)]).split('\n');
    out.push(lines[0]!);
    report.findings.forEach((f, i) => {
      const line = lines[i + 1]!;
      // Colour is applied after padding, so escape codes never skew the column widths.
      out.push(options.color ? `${SGR[f.severity]}${line.slice(0, f.severity.length)}${RESET}${line.slice(f.severity.length)}` : line);
      out.push(`  → ${clean(f.suggestion)}`);
    });
    out.push('');
  }
  out.push(summaryText(report), ...liveSummaryLines(report).map(clean));
  return `${out.join('\n')}\n`;
}
