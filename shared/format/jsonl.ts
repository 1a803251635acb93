// Findings → `--format jsonl`: JSON Lines for `jq` and log shippers. One `{"type":"finding",…}`
// object a line (the finding as `--format json` writes it), then one `{"type":"summary",…}`
// line with the report's version, time and summary. `jq -c 'select(.type == "finding")'` gives
// the findings, `tail -n1` the verdict.
import type { DriftReport } from '../types.js';
import { toDriftJson } from './json.js';

export function formatDriftJsonl(report: DriftReport): string {
  const doc = toDriftJson(report);
  const lines = doc.findings.map((f) => JSON.stringify({ type: 'finding', ...f }));
  lines.push(JSON.stringify({ type: 'summary', version: doc.version, generatedAt: doc.generatedAt, ...doc.summary }));
  return `${lines.join('\n')}\n`;
}
