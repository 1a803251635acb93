// The report email's plain-text part: a summary of fields, then each table as blocks of wrapped
// lines (safe single-line cells, so a name cannot forge a line of the report).
import { changeText } from '../../shared/format/finding-text.js';
import { oneLine } from '../../shared/format/safe-text.js';
import type { Finding } from '../../shared/types.js';
import { day, endpoint, footer, MAX_ROWS, pct, where } from './cells.js';
import { sparkline } from './chart.js';
import { type AgedFinding, formatAge, type ReportModel } from './model.js';
import { wrap } from './wrap.js';

/** One table row of the text part: a head line, a detail line and an optional note, each wrapped. */
interface TextRow {
  head: string[];
  detail: string[];
  note?: string;
}

// Rows are blocks, not padded columns: five columns of resource names, endpoints, file names and
// suggestions made lines of 250 characters. Cells are separated by two spaces and kept whole.
function textTable(title: string, rows: TextRow[], total: number): string[] {
  if (total === 0) return [];
  const out = [`${title} (${total})`, ''];
  // Cells hold resource names, hosts, file names and suggestions: one safe line each, so a CR/LF
  // in a name cannot forge a line of the report and U+202E cannot reorder it.
  const cells = (c: string[]): string => c.map(oneLine).join('  ');
  for (const r of rows.slice(0, MAX_ROWS)) {
    out.push(...wrap(cells(r.head), '  ', '      '), ...wrap(cells(r.detail), '      '));
    if (r.note) out.push(...wrap(oneLine(r.note), '      '));
  }
  if (total > MAX_ROWS) out.push(`  … and ${total - MAX_ROWS} more in the attached JSON`);
  out.push('');
  return out;
}

function findingRow(f: Finding): TextRow {
  const change = f.changedBy !== undefined ? ` (${changeText(f)})` : '';
  const note = `${f.suggestion}${change}${f.ack ? ` (acknowledged: ${f.ack.reason})` : ''}`;
  return { head: [`[${f.severity}] ${f.kind}`, f.resource], detail: [endpoint(f), where(f)], note: `— ${note}` };
}

export function textOf(m: ReportModel): string {
  const period = `${m.since ? `${day(m.since)} → ` : ''}${day(m.generatedAt)} UTC`;
  const lines = [...wrap(`portdrift report — ${oneLine(m.scope)}`), period, ''];
  const lastSeen = (at: string | null): string => (at ? day(at) : 'never');
  const late = m.lateAgents.map((a) => `${oneLine(a.name)} (last seen ${lastSeen(a.lastSeen)})`).join(', ');
  const para = (text: string): string[] => [...wrap(text), ''];
  // `Label:` lines continue under their value, so the labels stay a column of their own.
  const field = (label: string, value: string): string[] => wrap(value, label.padEnd(13), ' '.repeat(13));
  if (m.snapshot) lines.push(...para('Snapshot of saved findings: there is no previous report to compare with.'));
  const drifts = `${m.counts.open} existing drift${m.counts.open === 1 ? '' : 's'}`;
  if (m.baseline) {
    const first = 'Baseline: this is the first report of this installation.';
    lines.push(...para(`${first} ${drifts} at baseline; later reports show what changed.`));
  }
  const c = m.counts;
  const sev = c.bySeverity;
  const cov = m.coverage;
  lines.push(
    ...field(
      'Open:',
      `${c.open} (high ${sev.high}, medium ${sev.medium}, low ${sev.low}; ${c.acknowledged} acknowledged)`,
    ),
    ...(m.since === null ? [] : [...field('New:', String(c.new)), ...field('Resolved:', String(c.resolved))]),
    ...field('Oldest open:', m.oldestOpenMs === null ? '—' : formatAge(m.oldestOpenMs)),
    ...field('Coverage:', `${cov.observed} of ${cov.declared} declared endpoints observed (${pct(cov.ratio)})`),
    ...field(
      'Agents:',
      `${m.agentsTotal - m.lateAgents.length} of ${m.agentsTotal} reporting${late ? `; late: ${late}` : ''}`,
    ),
    'Open over the period (highest count per interval):',
    `  ${sparkline(m.series) || '(no history yet)'}`,
    '',
  );
  lines.push(...textTable('New since the last report', m.newFindings.map(findingRow), m.newFindings.length));
  const resolvedRow = (f: Finding): TextRow => ({
    head: [f.kind, f.resource],
    detail: [endpoint(f), where(f), `resolved ${f.resolvedAt ? day(f.resolvedAt) : ''}`],
  });
  lines.push(...textTable('Resolved since the last report', m.resolved.map(resolvedRow), m.resolved.length));
  const stillRow = ({ finding: f, ageMs }: AgedFinding): TextRow => ({
    head: [formatAge(ageMs), f.kind, f.resource],
    detail: [endpoint(f), where(f)],
  });
  lines.push(...textTable('Still open', m.stillOpen.map(stillRow), m.stillOpen.length));
  lines.push(...textTable('All open findings', m.open.map(findingRow), m.open.length));
  lines.push('--', ...wrap(oneLine(footer(m))));
  return `${lines.join('\n')}\n`;
}
