// NDJSON framing of the agent ⇄ collector wire format (its types in shared/types/wire.ts,
// docs/wire-format.md). The encoder lives here, beside the types, so the agent and any
// test that plays an agent produce byte-identical batches; validation of what arrives is the
// collector's job (it names the line and field of every problem).
import type { WireRecord } from './types.js';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** One JSON document per line, each line ended by `\n` (also the last: a batch cut short shows). */
export function encodeRecords(records: readonly WireRecord[]): string {
  let out = '';
  for (const r of records) out += `${JSON.stringify(r)}\n`;
  return out;
}
