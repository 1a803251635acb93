// The small chart of open findings over the period. Mail clients drop scripts, SVG (Gmail,
// Outlook) and remote or data: images, so the HTML chart is a table of cells with fixed heights
// and background colours, which every client renders. The text part gets a sparkline.
import { escapeHtml } from './html.js';

export interface Point {
  at: string;
  open: number;
}

/** At most `columns` points: each bucket keeps its highest count, so a spike is never averaged away. */
export function bucket(series: readonly Point[], columns: number): Point[] {
  if (series.length <= columns) return [...series];
  const out: Point[] = [];
  for (let i = 0; i < columns; i++) {
    const slice = series.slice(
      Math.floor((i * series.length) / columns),
      Math.floor(((i + 1) * series.length) / columns),
    );
    const max = slice.reduce((m, p) => (p.open >= m.open ? p : m), slice[0]!);
    out.push({ at: slice[slice.length - 1]!.at, open: max.open });
  }
  return out;
}

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(series: readonly Point[], columns = 48): string {
  const pts = bucket(series, columns);
  if (pts.length === 0) return '';
  const max = Math.max(...pts.map((p) => p.open));
  return pts.map((p) => (max === 0 ? BARS[0] : BARS[Math.round((p.open / max) * (BARS.length - 1))])).join('');
}

/**
 * How many of `times` fall into each bucketed point: the interval after the previous point up to
 * this one (the first point takes everything before it, the last everything after it).
 */
export function countPerPoint(points: readonly Point[], times: readonly string[]): number[] {
  const counts = points.map(() => 0);
  for (const t of times) {
    const i = points.findIndex((p) => t <= p.at);
    counts[i === -1 ? points.length - 1 : i]!++;
  }
  return counts;
}

const BAR = '#c0392b';
const QUIET = '#cfd8dc';
const RESOLVED = '#2e7d32';

const TABLE = 'role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%"';
const AXIS = 'border-bottom:1px solid #90a4ae';

export interface ChartOptions {
  columns?: number;
  height?: number;
  /** ISO times at which findings resolved in the period: counted under the bars. */
  resolved?: readonly string[];
}

export function chartHtml(series: readonly Point[], options: ChartOptions = {}): string {
  const pts = bucket(series, options.columns ?? 24);
  if (pts.length === 0)
    return '<p style="color:#666;font-size:13px;margin:0">No history recorded for this period yet.</p>';
  const height = options.height ?? 80;
  const max = Math.max(1, ...pts.map((p) => p.open));
  const resolved = countPerPoint(pts, options.resolved ?? []);
  const cells = pts
    .map((p, i) => {
      const h = p.open === 0 ? 1 : Math.max(2, Math.round((p.open / max) * height));
      const color = p.open === 0 ? QUIET : BAR;
      const title = escapeHtml(`${p.at}: up to ${p.open} open${resolved[i] ? `, ${resolved[i]} resolved` : ''}`);
      return (
        `<td valign="bottom" style="padding:0 1px;vertical-align:bottom" title="${title}">` +
        `<table ${TABLE}><tr>` +
        `<td height="${h}" bgcolor="${color}" style="height:${h}` +
        `px;background:${color};font-size:0;line-height:0">&nbsp;</td>` +
        `</tr></table></td>`
      );
    })
    .join('');
  // Resolutions are marked under the bar of their interval: a green number, so a falling count
  // reads as work done rather than as a gap in the data.
  const mark = 'padding:0 1px;font-size:9px;line-height:12px';
  const marks = resolved
    .map((n) =>
      n === 0
        ? `<td style="${mark}">&nbsp;</td>`
        : `<td class="pd-resolved" align="center" title="${n} resolved" style="${mark};color:#fff;font-weight:bold">` +
          `<div style="background:${RESOLVED};border-radius:2px">${n}</div></td>`,
    )
    .join('');
  const first = escapeHtml(pts[0]!.at.slice(0, 16).replace('T', ' '));
  const last = escapeHtml(pts[pts.length - 1]!.at.slice(0, 16).replace('T', ' '));
  const markRow = resolved.some((n) => n > 0)
    ? `<tr><td style="font-size:9px;color:${RESOLVED};width:28px">res.</td>` +
      `<td><table ${TABLE} style="table-layout:fixed"><tr>${marks}</tr></table></td></tr>`
    : '';
  return (
    `<table ${TABLE} class="pd-chart">` +
    `<tr><td style="font-size:11px;color:#666;width:28px;vertical-align:top;${AXIS}">${max}</td>` +
    `<td style="${AXIS}"><table ${TABLE} height="${height}" style="height:${height}px;table-layout:fixed">` +
    `<tr>${cells}</tr></table></td></tr>` +
    `${markRow}</table>` +
    `<table ${TABLE} style="font-size:11px;color:#666">` +
    `<tr><td style="padding-left:28px">${first}</td><td align="right">${last} UTC</td></tr></table>`
  );
}
