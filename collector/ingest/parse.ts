// NDJSON observation batches (docs/wire-format.md) → a validated ParsedBatch. Validation is
// strict, line by line, with the record schemas of records.ts: the first bad line is named with
// its number and every problem of it, field by field (PD_WIRE_INVALID),
// and the batch is refused whole, because an agent must resend a batch as it was and a partial
// store would make the Idempotency-Key lie. Unknown fields are refused too: a field the collector
// would silently drop is a field some agent thinks is stored.
import { PortdriftError } from '../../shared/errors.js';
import { check, type Issue, problemText, type z } from '../../shared/validate/index.js';
import type { ParsedBatch } from '../store/types.js';
import { fastObs, headerSchema, listenerSchema, obsSchema, resetSeen, sweepSchema } from './records.js';
import { outside, type RecordScope } from './scope.js';

/** PD_WIRE_INVALID for line `n`: every problem of the line, the first field in details. */
function invalid(n: number, issues: readonly Issue[]): PortdriftError {
  const problems = issues.map(problemText);
  const details = { line: n, field: issues[0]?.path ?? '', problems };
  return new PortdriftError('PD_WIRE_INVALID', `line ${n}: ${problems.join('; ')}`, { details });
}

function record<T>(schema: z.ZodType<T>, n: number, value: unknown): T {
  const r = check(schema, value, { unknown: 'unknown field' });
  if (!r.ok) throw invalid(n, r.issues);
  return r.value;
}

export interface ParseLimits {
  /** Records per batch (lines after the header). */
  maxRecords: number;
  /** The agent token's scope: a sweep or obs record outside it refuses the batch (PD_RECORD_OUT_OF_SCOPE). */
  scope?: RecordScope | null;
}

/** Parse and validate a whole NDJSON body. Blank lines (a trailing newline, CRLF) are allowed. */
export function parseBatch(body: string, limits: ParseLimits = { maxRecords: 1_000_000 }): ParsedBatch {
  let batch: ParsedBatch | null = null;
  resetSeen();
  let records = 0;
  // Records outside the token's scope: all are counted (metrics), the first is named.
  let outOfScope = 0;
  let firstOutside: { line: number; field: string; value: string } | null = null;
  const scope = limits.scope ?? null;
  const checkScope = (n: number, host: string, ip: string | null) => {
    const o = scope && outside(scope, host, ip);
    if (!o) return;
    outOfScope++;
    firstOutside ??= { line: n, ...o };
  };
  let start = 0;
  let n = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    n++;
    let text = body.slice(start, end);
    start = end + 1;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new PortdriftError('PD_WIRE_INVALID', `line ${n}: not JSON: ${(err as Error).message}`, {
        details: { line: n },
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new PortdriftError('PD_WIRE_INVALID', `line ${n}: must be a JSON object`, { details: { line: n } });
    const t = (value as { t?: unknown }).t;
    const bad = (why: string) => invalid(n, [{ path: 't', message: why }]);
    if (batch === null) {
      if (t !== 'batch') throw bad(`the first line must be the batch header (t: "batch"), got ${JSON.stringify(t)}`);
      batch = { header: record(headerSchema, n, value), sweeps: [], observations: [], listeners: [] };
      continue;
    }
    if (++records > limits.maxRecords) throw bad(`more than ${limits.maxRecords} records in one batch`);
    if (t === 'obs') {
      const o = fastObs(value as Record<string, unknown>) ?? record(obsSchema, n, value);
      checkScope(n, o.host, o.ip);
      batch.observations.push(o);
    } else if (t === 'sweep') {
      const s = record(sweepSchema, n, value);
      checkScope(n, s.host, s.ip);
      batch.sweeps.push(s);
    } else if (t === 'listener') batch.listeners.push(record(listenerSchema, n, value));
    else if (t === 'batch') throw bad('a second batch header; send one batch per request');
    else throw bad(`must be sweep, obs or listener, got ${JSON.stringify(t)}`);
  }
  if (batch === null)
    throw new PortdriftError('PD_WIRE_INVALID', 'line 1: the body is empty; expected a batch header', {
      details: { line: 1 },
    });
  if (firstOutside !== null) {
    const f: { line: number; field: string; value: string } = firstOutside;
    const many = outOfScope === 1 ? '1 record of the batch lies' : `${outOfScope} records of the batch lie`;
    const message =
      `line ${f.line}: ${f.field}: ${f.value} is outside the scope of ${scope!.describe}; ` +
      `${many} outside it, and none of the batch was stored`;
    const details = { line: f.line, field: f.field, records: outOfScope };
    throw new PortdriftError('PD_RECORD_OUT_OF_SCOPE', message, { details });
  }
  return batch;
}
