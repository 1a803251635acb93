// Findings → a table for a terminal: severity, kind, resource, host:port, IaC file:line and
// the message, then the suggestion on its own indented line (it is the part people act on, and
// too long for a column), then a summary line. Colour only when asked (the CLI asks when stdout
// is a TTY and NO_COLOR is unset), so piped output and logs stay plain text.
import type { DriftReport, Finding, Severity } from '../types.js';
import { columns } from './extraction.js';
import { changeText, endpointText, liveSummaryLines, sourceText, summaryText } from './finding-text.js';
import { oneLine } from './safe-text.js';

export interface TableOptions {
  color?: boolean;
}

const SGR: Record<Severity, string> = { high: '\u001b[31m', medium: '\u001b[33m', low: '\u001b[2m' };
const RESET = '\u001b[0m';

// An undeclared port belongs to every resource on its host; the column shows the first and a
// count (the message names them all), so one busy host does not widen the whole table.
function resourceCell(resource: string): string {
  const list = resource.split(', ');
  return list.length > 2 ? `${list[0]} +${list.length - 1}` : resource;
}

function row(f: Finding): string[] {
  // Every cell is made one safe line by columns(); hostile banners and file names included.
  const kind = f.ack ? `${f.kind} (acked)` : f.kind;
  return [f.severity.toUpperCase(), kind, resourceCell(f.resource), endpointText(f), sourceText(f), f.message];
}

export function formatTable(report: DriftReport, options: TableOptions = {}): string {
  const out: string[] = [];
  if (report.findings.length > 0) {
    const lines = columns([
      ['SEVERITY', 'KIND', 'RESOURCE', 'ENDPOINT', 'IAC', 'MESSAGE'],
      ...report.findings.map(row),
    ]).split('\n');
    out.push(lines[0]!);
    report.findings.forEach((f, i) => {
      const line = lines[i + 1]!;
      // Colour is applied after padding, so escape codes never skew the column widths.
      out.push(
        options.color
          ? `${SGR[f.severity]}${line.slice(0, f.severity.length)}${RESET}${line.slice(f.severity.length)}`
          : line,
      );
      out.push(`  → ${oneLine(f.suggestion)}`);
      if (f.changedBy !== undefined) out.push(`  ${oneLine(changeText(f))}`);
    });
    out.push('');
  }
  out.push(summaryText(report), ...liveSummaryLines(report).map((l) => oneLine(l)));
  return `${out.join('\n')}\n`;
}
