// The report email's HTML part: inline CSS only (mail clients strip <style> blocks and never load
// remote resources), fluid tables that fit a phone's screen, and the open-count chart.
import { changeText } from '../../shared/format/finding-text.js';
import type { Finding } from '../../shared/types.js';
import { day, endpoint, footer, MAX_ROWS, pct, where } from './cells.js';
import { chartHtml } from './chart.js';
import { escapeHtml as h } from './html.js';
import { formatAge, type ReportModel } from './model.js';

const SEV_COLOR: Record<string, string> = { high: '#c0392b', medium: '#d68910', low: '#607d8b', none: '#2e7d32' };
const TD = 'padding:6px;border-bottom:1px solid #e0e0e0;vertical-align:top;font-size:13px';
const TD_TOP = 'padding:6px 6px 2px;vertical-align:top;font-size:13px';
const TD_NOTE = 'padding:0 6px 6px;border-bottom:1px solid #e0e0e0;font-size:13px;color:#37474f';
const TH = 'padding:6px;border-bottom:2px solid #90a4ae;text-align:left;font-size:12px;color:#455a64';

function badge(sev: string): string {
  const style = `display:inline-block;padding:1px 6px;border-radius:3px;background:${SEV_COLOR[sev]};color:#fff;`;
  return `<span style="${style}font-size:11px;font-weight:bold;white-space:nowrap">${h(sev)}</span>`;
}

/** A row of cells and, optionally, a note (the suggestion) spanning the row beneath them. */
interface HtmlRow {
  cells: string[];
  note?: string;
}

// No column has a fixed or percentage width: a percentage on one column makes the others share
// the rest, and a table whose word columns cannot fit in that share grows past a phone's screen.
// The suggestion, the longest cell, spans the row beneath its finding, so at a wide window the
// three short columns fit without breaking their names.
function htmlTable(title: string, head: string[], rows: HtmlRow[], total: number): string {
  if (total === 0) return '';
  const more =
    total > MAX_ROWS
      ? `<p style="font-size:12px;color:#666">… and ${total - MAX_ROWS} more in the attached JSON.</p>`
      : '';
  const row = (r: HtmlRow): string =>
    r.note === undefined
      ? `<tr>${r.cells.map((c) => `<td style="${TD}">${c}</td>`).join('')}</tr>`
      : `<tr>${r.cells.map((c) => `<td style="${TD_TOP}">${c}</td>`).join('')}</tr>` +
        `<tr><td colspan="${r.cells.length}" style="${TD_NOTE}">${r.note}</td></tr>`;
  return (
    `<h2 style="font-size:16px;margin:24px 0 8px;color:#263238">${h(title)}` +
    ` <span style="color:#78909c;font-weight:normal">(${total})</span></h2>` +
    `<table role="presentation" cellpadding="0" cellspacing="0" ` +
    `border="0" width="100%" style="border-collapse:collapse">` +
    `<tr>${head.map((c) => `<th style="${TH}">${h(c)}</th>`).join('')}</tr>` +
    rows.slice(0, MAX_ROWS).map(row).join('') +
    `</table>${more}`
  );
}

// Resource names, endpoints and paths may break at any character in the HTML (a 60-character
// Terraform address must not push a phone's screen sideways); the text part keeps them whole.
const CODE = 'font-family:Menlo,Consolas,monospace;font-size:12px;word-break:break-all';
const code = (s: string): string => `<code style="${CODE}">${h(s)}</code>`;

/** `host:port` over IaC `file:line`: one column for both keeps the tables narrow enough for a phone. */
const place = (f: Finding): string => `${code(endpoint(f))}<br>${code(where(f))}`;

function findingHtmlRow(f: Finding): HtmlRow {
  return {
    cells: [`${badge(f.severity)} ${h(f.kind)}`, code(f.resource), place(f)],
    note:
      `→ ${h(f.suggestion)}` +
      (f.changedBy !== undefined ? `<br><span style="color:#78909c">${h(changeText(f))}</span>` : '') +
      (f.ack ? `<br><span style="color:#78909c">acknowledged by ${h(f.ack.by)}: ${h(f.ack.reason)}</span>` : ''),
  };
}

// Stat boxes are inline blocks, not the cells of one row: six cells of a row cannot get narrower
// than their text and pushed a phone's screen sideways; inline blocks wrap onto a second line.
function stat(label: string, value: string, color = '#263238'): string {
  const box =
    'display:inline-block;vertical-align:top;min-width:92px;margin:0 6px 6px 0;padding:8px 10px;' +
    'border:1px solid #e0e0e0;text-align:center';
  return (
    `<div style="${box}"><div style="font-size:24px;font-weight:bold;color:${color}">${h(value)}</div>` +
    `<div style="font-size:12px;color:#607d8b">${h(label)}</div></div>`
  );
}

const FINDING_HEAD = ['kind', 'resource', 'host:port / IaC'];

const LAYOUT = 'role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"';

export function htmlOf(m: ReportModel, subject: string): string {
  const c = m.counts;
  const late = m.lateAgents.length
    ? `<p style="margin:8px 0;font-size:13px;color:#c0392b">Late agents: ` +
      m.lateAgents.map((a) => `${code(a.name)} (last seen ${h(a.lastSeen ? day(a.lastSeen) : 'never')})`).join(', ') +
      '</p>'
    : '';
  const baseline = m.baseline
    ? `<p style="margin:12px 0;padding:10px 12px;background:#e3f2fd;border-left:4px solid ` +
      `#1e88e5;font-size:14px"><strong>Baseline.</strong> This is the first report of this installation: ${c.open}` +
      ` existing drift${c.open === 1 ? '' : 's'} at baseline, not new alarms. Later reports show what changed.</p>`
    : m.snapshot
      ? `<p style="margin:12px 0;padding:10px 12px;background:#eceff1;border-left:4px solid ` +
        `#78909c;font-size:14px"><strong>Snapshot.</strong> A rendering of ` +
        `saved findings: there is no previous report to compare with.</p>`
      : '';
  const stats = [
    stat('open', String(c.open), c.open ? SEV_COLOR[m.severity] : SEV_COLOR.none),
    ...(m.since === null
      ? []
      : [
          stat('new', String(c.new), c.new ? '#c0392b' : '#263238'),
          stat('resolved', String(c.resolved), c.resolved ? '#2e7d32' : '#263238'),
        ]),
    stat('high / medium / low', `${c.bySeverity.high} / ${c.bySeverity.medium} / ${c.bySeverity.low}`),
    stat('oldest open', m.oldestOpenMs === null ? '—' : formatAge(m.oldestOpenMs)),
    stat(
      'endpoints observed',
      `${m.coverage.observed} / ${m.coverage.declared}`,
      m.coverage.ratio !== null && m.coverage.ratio < 1 ? '#d68910' : '#263238',
    ),
  ].join('');
  const body = [
    `<h1 style="font-size:20px;margin:0 0 4px;color:#263238">portdrift report — ${h(m.scope)}</h1>`,
    `<p style="margin:0 0 12px;color:#607d8b;font-size:13px">` +
      `${h(m.since ? `${day(m.since)} → ` : '')}${h(day(m.generatedAt))} UTC</p>`,
    baseline,
    `<div style="font-size:0">${stats}</div>`,
    `<p style="margin:12px 0 4px;font-size:13px">Coverage: <strong>${m.coverage.observed} of ` +
      `${m.coverage.declared}</strong> declared endpoints observed (${pct(m.coverage.ratio)}); ` +
      `<strong>${m.agentsTotal - m.lateAgents.length} of ${m.agentsTotal}</strong> agents reporting.</p>`,
    late,
    `<h2 style="font-size:16px;margin:24px 0 8px;color:#263238">Open findings over the period</h2>`,
    `<p style="margin:0 0 8px;font-size:12px;color:#607d8b">` +
      'Each bar is the highest open count of its interval; green numbers are findings resolved in it.</p>',
    chartHtml(m.series, { resolved: m.resolved.map((f) => f.resolvedAt!) }),
    htmlTable('New since the last report', FINDING_HEAD, m.newFindings.map(findingHtmlRow), m.newFindings.length),
    htmlTable(
      'Resolved since the last report',
      ['kind', 'resource', 'host:port / IaC', 'resolved'],
      m.resolved.map((f) => ({ cells: [h(f.kind), code(f.resource), place(f), h(day(f.resolvedAt ?? ''))] })),
      m.resolved.length,
    ),
    htmlTable(
      'Still open',
      ['age', 'kind', 'resource', 'host:port / IaC'],
      m.stillOpen.map(({ finding: f, ageMs }) => ({
        cells: [h(formatAge(ageMs)), `${badge(f.severity)} ${h(f.kind)}`, code(f.resource), place(f)],
      })),
      m.stillOpen.length,
    ),
    htmlTable('All open findings', FINDING_HEAD, m.open.map(findingHtmlRow), m.open.length),
    m.open.length === 0 && m.resolved.length === 0
      ? `<p style="margin:24px 0;font-size:14px;color:#2e7d32">No drift: ` +
        `every declared port that was observed is where the IaC says.</p>`
      : '',
    `<p style="margin:32px 0 0;padding-top:12px;border-top:1px ` +
      `solid #e0e0e0;font-size:12px;color:#78909c">${h(footer(m))}</p>`,
  ].join('\n');
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" ` +
    `content="width=device-width"><title>${h(subject)}</title></head>\n` +
    `<body style="margin:0;padding:0;background:#f5f7f8;font-family:-apple-system,'Segoe ` +
    `UI',Roboto,Helvetica,Arial,sans-serif;color:#263238">\n` +
    `<table ${LAYOUT} bgcolor="#f5f7f8"><tr><td align="center" style="padding:12px 8px">\n` +
    // Fluid: as wide as the window up to 960 px (no fixed width that a wide client cuts or a narrow
    // one scrolls sideways).
    `<table ${LAYOUT} class="pd-card" style="width:100%;max-width:960px;background:#ffffff;border:1px solid #e0e0e0">` +
    `<tr><td style="padding:16px;text-align:left;overflow-wrap:break-word">\n` +
    `${body}\n</td></tr></table>\n</td></tr></table>\n</body></html>\n`
  );
}
