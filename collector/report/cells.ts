// What both parts of the report email show alike: the row limit, a finding's place (endpoint,
// IaC file and line), percentages, times and the footer.
import type { Finding } from '../../shared/types.js';
import type { ReportModel } from './model.js';

/** Rows per table; the attached JSON always has everything. */
export const MAX_ROWS = 200;

export const where = (f: Finding): string => (f.source ? `${f.source.file}:${f.source.line}` : '—');
export const endpoint = (f: Finding): string =>
  `${f.host}:${f.port}${f.observedPort !== undefined ? ` → ${f.observedPort}` : ''}`;
export const pct = (r: number | null): string => (r === null ? 'n/a' : `${Math.floor(r * 1000) / 10}%`);
export const day = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

export function footer(m: ReportModel): string {
  return (
    `You receive this because your address is in the report recipients of the portdrift collector for ` +
    `${m.scope}; its operators own that configuration.` +
    `${m.link ? ` Collector: ${m.link}` : ''} The complete data is attached as JSON.`
  );
}
