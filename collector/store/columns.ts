// A batch's observation records as columns: what crosses from the HTTP thread to the store's
// worker thread. Structured-cloning 5,000 record objects costs ~9 ms a batch (more than parsing
// them); typed arrays and one string table cost ~0.5 ms, and the typed arrays are transferred,
// not copied. Repeated strings (the sweep's host, address and time) are stored once.
import type { ParsedBatch } from './types.js';
import { PORT_STATES } from '../../shared/ports.js';
import type { Observation, ObservationRecord, PortState } from '../../shared/types.js';

/** A state's code in the columns is its index in PORT_STATES. */
export const STATE_CODES: readonly PortState[] = PORT_STATES;
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

/** A string table: index 0 is '' (a missing service), every other string is stored once. */
function stringTable(): { strings: string[]; id: (s: string) => number } {
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
  return { strings, id };
}

/** The fields a batch record and a stored observation share. */
type Row = Pick<ObservationRecord, 'host' | 'ip' | 'port' | 'state' | 'rttMs' | 'at' | 'service'>;

function emptyColumns(n: number, strings: string[]): ObservationColumns {
  return {
    strings,
    host: new Uint32Array(n),
    ip: new Uint32Array(n),
    at: new Uint32Array(n),
    service: new Uint32Array(n),
    port: new Uint16Array(n),
    state: new Uint8Array(n),
    rtt: new Float64Array(n),
  };
}

function putRow(c: ObservationColumns, k: number, o: Row, id: (s: string) => number): void {
  c.host[k] = id(o.host);
  c.ip[k] = id(o.ip);
  c.at[k] = id(o.at);
  c.service[k] = o.service === undefined ? 0 : id(o.service);
  c.port[k] = o.port;
  c.state[k] = STATE_INDEX.get(o.state)!;
  c.rtt[k] = o.rttMs === null ? NaN : o.rttMs;
}

/** Row k's fields written onto `into` (no intermediate object: the drift input reads 1M rows). */
function readRow<T extends Row>(c: ObservationColumns, k: number, into: Omit<T, keyof Row>): T {
  const s = c.strings;
  const r = into as T;
  r.host = s[c.host[k]!]!;
  r.ip = s[c.ip[k]!]!;
  r.port = c.port[k]!;
  r.state = STATE_CODES[c.state[k]!]!;
  r.rttMs = Number.isNaN(c.rtt[k]) ? null : c.rtt[k]!;
  r.at = s[c.at[k]!]!;
  if (c.service[k]) r.service = s[c.service[k]!]!;
  return r;
}

const columnBuffers = (c: ObservationColumns): ArrayBuffer[] =>
  [c.host, c.ip, c.at, c.service, c.port, c.state, c.rtt].map((a) => a.buffer as ArrayBuffer);

export function toColumns(b: ParsedBatch): ColumnarBatch {
  const n = b.observations.length;
  const { strings, id } = stringTable();
  const c = emptyColumns(n, strings);
  for (let k = 0; k < n; k++) putRow(c, k, b.observations[k]!, id);
  const outside = b.outsideModel ? { outsideModel: b.outsideModel } : {};
  return { header: b.header, sweeps: b.sweeps, listeners: b.listeners, observations: c, ...outside };
}

export function transferList(c: ColumnarBatch): ArrayBuffer[] {
  return columnBuffers(c.observations);
}

/** One record back as an object (tests, and stores that want objects). */
export function recordAt(c: ObservationColumns, k: number): ObservationRecord {
  return readRow<ObservationRecord>(c, k, { t: 'obs' });
}

/** Observations (with their agent) as columns, for the drift input read on the worker thread. */
export interface ObservationTable extends ObservationColumns {
  agent: Uint32Array;
}

export function observationsToTable(list: readonly Observation[]): ObservationTable {
  const n = list.length;
  const { strings, id } = stringTable();
  const t: ObservationTable = { ...emptyColumns(n, strings), agent: new Uint32Array(n) };
  for (let k = 0; k < n; k++) {
    const o = list[k]!;
    t.agent[k] = id(o.agent);
    putRow(t, k, o, id);
  }
  return t;
}

export function tableToObservations(t: ObservationTable): Observation[] {
  const out: Observation[] = new Array(t.port.length);
  for (let k = 0; k < t.port.length; k++) out[k] = readRow<Observation>(t, k, { agent: t.strings[t.agent[k]!]! });
  return out;
}

export function tableTransfer(t: ObservationTable): ArrayBuffer[] {
  return [t.agent.buffer as ArrayBuffer, ...columnBuffers(t)];
}
