// NDJSON observation batches (docs/wire-format.md) → a validated ParsedBatch. Validation is
// strict, line by line: the first bad line is named with its number and field (PD_WIRE_INVALID),
// and the batch is refused whole, because an agent must resend a batch as it was and a partial
// store would make the Idempotency-Key lie. Unknown fields are refused too: a field the collector
// would silently drop is a field some agent thinks is stored.
import { isIP } from 'node:net';
import { PortdriftError } from '../../shared/errors.js';
import { isPort, parsePortSpec } from '../../shared/ports.js';
import type { BatchHeader, ListenerRecord, ObservationRecord, PortState, SweepRecord } from '../../shared/types.js';
import type { ParsedBatch } from '../store/types.js';
import { outside, type RecordScope } from './scope.js';

const STATES: ReadonlySet<string> = new Set<PortState>(['open', 'closed', 'filtered', 'unreachable']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** Batch ids, agent names: printable, no spaces, bounded (they end up in logs and URLs). */
const NAME = /^[A-Za-z0-9._:@\/+-]{1,200}$/;
const MAX_TEXT = 1024;

const HEADER_KEYS: ReadonlySet<string> = new Set(['t', 'v', 'batchId', 'agent', 'agentVersion', 'planRevision', 'startedAt', 'finishedAt', 'spoolDropped', 'spoolDepth', 'listenerView']);
const SWEEP_KEYS: ReadonlySet<string> = new Set(['t', 'host', 'ip', 'ports', 'closed', 'at', 'error', 'confirmed']);
const OBS_KEYS: ReadonlySet<string> = new Set(['t', 'host', 'ip', 'port', 'state', 'rttMs', 'at', 'service']);
const LISTENER_KEYS: ReadonlySet<string> = new Set(['t', 'ip', 'port', 'at']);

/**
 * Values already validated in this batch: every record of a sweep repeats the same time, host
 * and address, so each distinct one is checked once (ingest throughput is a quality bar).
 */
interface Seen {
  times: Set<string>;
  ips: Set<string>;
}

class Line {
  constructor(readonly n: number, readonly r: Record<string, unknown>, private readonly seen: Seen) {}

  bad(field: string, why: string): PortdriftError {
    return new PortdriftError('PD_WIRE_INVALID', `line ${this.n}: ${field}: ${why}`, { details: { line: this.n, field } });
  }

  keys(allowed: ReadonlySet<string>): void {
    for (const k in this.r) if (!allowed.has(k)) throw this.bad(k, 'unknown field');
  }

  str(field: string, re?: RegExp): string {
    const v = this.r[field];
    if (typeof v !== 'string' || v === '' || v.length > MAX_TEXT) throw this.bad(field, `must be a non-empty string of at most ${MAX_TEXT} characters`);
    if (re && !re.test(v)) throw this.bad(field, `invalid value ${JSON.stringify(v.slice(0, 80))}`);
    return v;
  }

  optStr(field: string): string | undefined {
    return this.r[field] === undefined ? undefined : this.str(field);
  }

  time(field: string): string {
    const v = this.r[field];
    if (typeof v === 'string' && this.seen.times.has(v)) return v;
    const t = this.str(field);
    if (!ISO.test(t) || Number.isNaN(Date.parse(t))) throw this.bad(field, `must be an ISO-8601 time, got ${JSON.stringify(t.slice(0, 40))}`);
    this.seen.times.add(t);
    return t;
  }

  bool(field: string): boolean {
    const v = this.r[field];
    if (typeof v !== 'boolean') throw this.bad(field, 'must be true or false');
    return v;
  }

  count(field: string): number {
    const v = this.r[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.bad(field, 'must be a non-negative integer');
    return v;
  }

  ip(field: string): string {
    const v = this.r[field];
    if (typeof v === 'string' && this.seen.ips.has(v)) return v;
    const t = this.str(field);
    if (isIP(t) === 0) throw this.bad(field, `must be an IP address, got ${JSON.stringify(t.slice(0, 60))}`);
    this.seen.ips.add(t);
    return t;
  }

  port(field: string): number {
    const v = this.r[field];
    if (!isPort(v)) throw this.bad(field, `must be a port 1-65535, got ${JSON.stringify(v)}`);
    return v;
  }

  spec(field: string): string {
    const v = this.r[field];
    if (typeof v !== 'string') throw this.bad(field, 'must be a port spec string');
    if (v === '') return v;
    if (!/^[0-9,-]+$/.test(v)) throw this.bad(field, `must be a numeric port spec such as 22,80,8000-8100`);
    try {
      parsePortSpec(v);
    } catch (err) {
      throw this.bad(field, (err as Error).message);
    }
    return v;
  }
}

function header(l: Line): BatchHeader {
  l.keys(HEADER_KEYS);
  if (l.r.v !== 1) throw l.bad('v', `must be 1, got ${JSON.stringify(l.r.v)}`);
  const plan = l.r.planRevision;
  if (plan !== null && (typeof plan !== 'string' || plan.length > MAX_TEXT)) throw l.bad('planRevision', 'must be a string or null');
  return {
    t: 'batch',
    v: 1,
    batchId: l.str('batchId', NAME),
    agent: l.str('agent', NAME),
    agentVersion: l.str('agentVersion'),
    planRevision: plan as string | null,
    startedAt: l.time('startedAt'),
    finishedAt: l.time('finishedAt'),
    spoolDropped: l.count('spoolDropped'),
    spoolDepth: l.count('spoolDepth'),
    ...(l.r.listenerView !== undefined ? { listenerView: l.bool('listenerView') } : {}),
  };
}

function sweep(l: Line): SweepRecord {
  l.keys(SWEEP_KEYS);
  const ip = l.r.ip === null ? null : l.ip('ip');
  const error = l.optStr('error');
  if (l.r.confirmed !== undefined && l.r.confirmed !== true) throw l.bad('confirmed', 'must be true when present');
  const confirmed = l.r.confirmed === true ? { confirmed: true as const } : {};
  const ports = l.spec('ports');
  const closed = l.spec('closed');
  return { t: 'sweep', host: l.str('host'), ip, ports, closed, at: l.time('at'), ...(error !== undefined ? { error } : {}), ...confirmed };
}

function obs(l: Line): ObservationRecord {
  l.keys(OBS_KEYS);
  const state = l.r.state;
  if (typeof state !== 'string' || !STATES.has(state)) throw l.bad('state', `must be open, closed, filtered or unreachable, got ${JSON.stringify(state)}`);
  const rtt = l.r.rttMs;
  if (rtt !== null && (typeof rtt !== 'number' || !Number.isFinite(rtt) || rtt < 0)) throw l.bad('rttMs', 'must be a non-negative number or null');
  const service = l.optStr('service');
  return { t: 'obs', host: l.str('host'), ip: l.ip('ip'), port: l.port('port'), state: state as PortState, rttMs: rtt as number | null, at: l.time('at'), ...(service !== undefined ? { service } : {}) };
}

function listener(l: Line): ListenerRecord {
  l.keys(LISTENER_KEYS);
  return { t: 'listener', ip: l.ip('ip'), port: l.port('port'), at: l.time('at') };
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
  const seen: Seen = { times: new Set(), ips: new Set() };
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
      throw new PortdriftError('PD_WIRE_INVALID', `line ${n}: not JSON: ${(err as Error).message}`, { details: { line: n } });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PortdriftError('PD_WIRE_INVALID', `line ${n}: must be a JSON object`, { details: { line: n } });
    const l = new Line(n, value as Record<string, unknown>, seen);
    const t = l.r.t;
    if (batch === null) {
      if (t !== 'batch') throw l.bad('t', `the first line must be the batch header (t: "batch"), got ${JSON.stringify(t)}`);
      batch = { header: header(l), sweeps: [], observations: [], listeners: [] };
      continue;
    }
    if (++records > limits.maxRecords) throw l.bad('t', `more than ${limits.maxRecords} records in one batch`);
    if (t === 'obs') {
      const o = obs(l);
      checkScope(n, o.host, o.ip);
      batch.observations.push(o);
    } else if (t === 'sweep') {
      const s = sweep(l);
      checkScope(n, s.host, s.ip);
      batch.sweeps.push(s);
    }
    else if (t === 'listener') batch.listeners.push(listener(l));
    else if (t === 'batch') throw l.bad('t', 'a second batch header; send one batch per request');
    else throw l.bad('t', `must be sweep, obs or listener, got ${JSON.stringify(t)}`);
  }
  if (batch === null) throw new PortdriftError('PD_WIRE_INVALID', 'line 1: the body is empty; expected a batch header', { details: { line: 1 } });
  if (firstOutside !== null) {
    const f: { line: number; field: string; value: string } = firstOutside;
    const many = outOfScope === 1 ? '1 record of the batch lies' : `${outOfScope} records of the batch lie`;
    const message = `line ${f.line}: ${f.field}: ${f.value} is outside the scope of ${scope!.describe}; `
      + `${many} outside it, and none of the batch was stored`;
    const details = { line: f.line, field: f.field, records: outOfScope };
    throw new PortdriftError('PD_RECORD_OUT_OF_SCOPE', message, { details });
  }
  return batch;
}
