// The one entry for printing a drift report in any of its formats (`--format` of `scan`
// and `drift`). Each format has its own file; this one only dispatches.
import type { DriftReport } from '../types.js';
import { formatDriftJson } from './json.js';
import { formatDriftJsonl } from './jsonl.js';
import { formatJunit } from './junit.js';
import { formatMarkdown } from './markdown.js';
import { formatSarif } from './sarif.js';
import { formatTable } from './table.js';

export const FINDING_FORMATS = ['table', 'json', 'markdown', 'sarif', 'junit', 'jsonl'] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

export interface FormatOptions {
  /** table: ANSI colours (only when writing to a terminal). */
  color?: boolean;
  /**
   * sarif and junit: prefix joined to every IaC file path (SarifOptions.uriPrefix,
   * JunitOptions.pathPrefix), so that code hosts and CI systems resolve it from the repository root.
   */
  pathPrefix?: string;
}

export function formatFindings(report: DriftReport, format: FindingFormat, options: FormatOptions = {}): string {
  switch (format) {
    case 'table':
      return formatTable(report, { color: options.color ?? false });
    case 'json':
      return formatDriftJson(report);
    case 'jsonl':
      return formatDriftJsonl(report);
    case 'markdown':
      return formatMarkdown(report);
    case 'sarif':
      return formatSarif(report, options.pathPrefix !== undefined ? { uriPrefix: options.pathPrefix } : {});
    case 'junit':
      return formatJunit(report, options.pathPrefix !== undefined ? { pathPrefix: options.pathPrefix } : {});
  }
}
