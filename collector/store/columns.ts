// A batch's observation records as columns: what crosses from the HTTP thread to the store's
// worker thread. Structured-cloning 5,000 record objects costs ~9 ms a batch (more than parsing
// them); typed arrays and one string table cost ~0.5 ms, and the typed arrays are transferred,
// not copied. Repeated strings (the sweep's host, address and time) are stored once.
import type { ParsedBatch } from './types.js';
import type { Observation, ObservationRecord, PortState } from '../../shared/types.js';

export const STATE_CODES: readonly PortState[] = ['open', 'closed', 'filtered', 'unreachable'];
const STATE_INDEX = new Map(STATE_CODES.map((s, i) => [s, i]));

export interface ObservationColumns {
  /** String table; index 0 is "none" (a missing service). */
  strings: string[];
  host: Uint32Array;
  ip: Uint32Array;
  at: Uint32Array;
  service: Uint32Array;
  port: Uint16Array;
  state: Uint8Array;
  /** NaN stands for null. */
  rtt: Float64Array;
}

export interface ColumnarBatch extends Omit<ParsedBatch, 'observations'> {
  observations: ObservationColumns;
}

export function toColumns(b: ParsedBatch): ColumnarBatch {
  const n = b.observations.length;
  const strings: string[] = [''];
  const index = new Map<string, number>();
  const id = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const c: ObservationColumns = { strings, host: new Uint32Array(n), ip: new Uint32Array(n), at: new Uint32Array(n), service: new Uint32Array(n), port: new Uint16Array(n), state: new Uint8Array(n), rtt: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    const o = b.observations[k]!;
    c.host[k] = id(o.host);
    c.ip[k] = id(o.ip);
    c.at[k] = id(o.at);
    c.service[k] = o.service === undefined ? 0 : id(o.service);
    c.port[k] = o.port;
    c.state[k] = STATE_INDEX.get(o.state)!;
    c.rtt[k] = o.rttMs === null ? NaN : o.rttMs;
  }
  return { header: b.header, sweeps: b.sweeps, listeners: b.listeners, observations: c };
}

export function transferList(c: ColumnarBatch): ArrayBuffer[] {
  const o = c.observations;
  return [o.host, o.ip, o.at, o.service, o.port, o.state, o.rtt].map((a) => a.buffer as ArrayBuffer);
}

/** One record back as an object (tests, and stores that want objects). */
export function recordAt(c: ObservationColumns, k: number): ObservationRecord {
  const r: ObservationRecord = { t: 'obs', host: c.strings[c.host[k]!]!, ip: c.strings[c.ip[k]!]!, port: c.port[k]!, state: STATE_CODES[c.state[k]!]!, rttMs: Number.isNaN(c.rtt[k]) ? null : c.rtt[k]!, at: c.strings[c.at[k]!]! };
  if (c.service[k]) r.service = c.strings[c.service[k]!]!;
  return r;
}

/** Observations (with their agent) as columns, for the drift input read on the worker thread. */
export interface ObservationTable extends ObservationColumns {
  agent: Uint32Array;
}

export function observationsToTable(list: readonly Observation[]): ObservationTable {
  const n = list.length;
  const strings: string[] = [''];
  const index = new Map<string, number>();
  const id = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const t: ObservationTable = { strings, agent: new Uint32Array(n), host: new Uint32Array(n), ip: new Uint32Array(n), at: new Uint32Array(n), service: new Uint32Array(n), port: new Uint16Array(n), state: new Uint8Array(n), rtt: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    const o = list[k]!;
    t.agent[k] = id(o.agent);
    t.host[k] = id(o.host);
    t.ip[k] = id(o.ip);
    t.at[k] = id(o.at);
    t.service[k] = o.service === undefined ? 0 : id(o.service);
    t.port[k] = o.port;
    t.state[k] = STATE_INDEX.get(o.state)!;
    t.rtt[k] = o.rttMs === null ? NaN : o.rttMs;
  }
  return t;
}

export function tableToObservations(t: ObservationTable): Observation[] {
  const out: Observation[] = new Array(t.port.length);
  const s = t.strings;
  for (let k = 0; k < t.port.length; k++) {
    const o: Observation = { agent: s[t.agent[k]!]!, host: s[t.host[k]!]!, ip: s[t.ip[k]!]!, port: t.port[k]!, state: STATE_CODES[t.state[k]!]!, rttMs: Number.isNaN(t.rtt[k]) ? null : t.rtt[k]!, at: s[t.at[k]!]! };
    if (t.service[k]) o.service = s[t.service[k]!]!;
    out[k] = o;
  }
  return out;
}

export function tableTransfer(t: ObservationTable): ArrayBuffer[] {
  return [t.agent, t.host, t.ip, t.at, t.service, t.port, t.state, t.rtt].map((a) => a.buffer as ArrayBuffer);
}
