// One sweep → one observation batch, as wire records (shared/types/wire.ts, the agent ⇄ collector
// wire format): a batch header, one sweep record per probed address (its probed and closed ports as
// port specs, so closed is explicit and never inferred from silence), one obs record per port
// that did not answer closed, and the listener records of the --listeners view. A sweep larger
// than the agent's batch limit goes out as several batches (buildBatches).
import { formatPortSpec } from '../../shared/ports.js';
import type {
  BatchHeader,
  ListenerRecord,
  ObservationRecord,
  PodIdentity,
  ProbeResult,
  SweepRecord,
  WireRecord,
} from '../../shared/types.js';

/** What the batch needs of one host sweep of the probe engine (agent/probe HostSweep). */
export interface SweepResult {
  host: string;
  ip: string | null;
  error?: string;
  /** Every port probed at this address. */
  ports: number[];
  results: ProbeResult[];
  /** Re-probed at once after a declared port changed, and the change held (checks.ts). */
  confirmed?: boolean;
}

export interface BatchInput {
  batchId: string;
  agent: string;
  agentVersion: string;
  planRevision: string | null;
  startedAt: string;
  finishedAt: string;
  sweeps: readonly SweepResult[];
  listeners: readonly ListenerRecord[];
  /** The listeners were read (--listeners): they are the namespace's whole view, even when empty. */
  listenerView?: boolean;
  /** The agent's pod in Kubernetes (Downward API), in every header. */
  pod?: PodIdentity;
}

export function buildBatch(input: BatchInput): WireRecord[] {
  const header: BatchHeader = {
    t: 'batch',
    v: 1,
    batchId: input.batchId,
    agent: input.agent,
    agentVersion: input.agentVersion,
    planRevision: input.planRevision,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    // Filled in when the batch is sent (withSpoolStatus): the spool changes while it waits.
    spoolDropped: 0,
    spoolDepth: 0,
    ...(input.listenerView ? { listenerView: true } : {}),
    ...(input.pod ? { pod: input.pod } : {}),
  };
  const out: WireRecord[] = [header];
  const at = input.finishedAt;
  for (const s of input.sweeps) {
    const sweep: SweepRecord = {
      t: 'sweep',
      host: s.host,
      ip: s.ip,
      ports: formatPortSpec(s.ports),
      closed: formatPortSpec(s.results.filter((r) => r.state === 'closed').map((r) => r.port)),
      at,
      ...(s.error !== undefined ? { error: s.error } : {}),
      ...(s.confirmed ? { confirmed: true as const } : {}),
    };
    out.push(sweep);
    if (s.ip === null) continue;
    for (const r of s.results) {
      if (r.state === 'closed') continue;
      // Only the fingerprint's service name travels (the wire's `service`); its detail stays here.
      const service = r.state === 'open' && r.fingerprint ? { service: r.fingerprint.service } : {};
      const obs: ObservationRecord = {
        t: 'obs',
        host: s.host,
        ip: r.ip,
        port: r.port,
        state: r.state,
        rttMs: r.rttMs,
        at,
        ...service,
      };
      out.push(obs);
    }
  }
  out.push(...input.listeners);
  return out;
}

/** The default of the agent's `maxBatchBytes`: half the collector's default limit (8 MiB). */
export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
/**
 * Room kept in every batch for what changes when it is sent (withSpoolStatus): the spool
 * counters and the agent's name (at most 128 characters, escaped at most 6 bytes each).
 */
const SEND_SLACK = 1024;

export interface SizedBatch {
  batchId: string;
  records: WireRecord[];
  /** Encoded bytes (without the send-time slack). */
  bytes: number;
}

const size = (r: WireRecord): number => Buffer.byteLength(JSON.stringify(r), 'utf8') + 1;

/**
 * One sweep as batches of at most `maxBytes` encoded bytes each, each with its own batch id and
 * the same header otherwise, in the order they must be delivered. The collector refuses a batch
 * over its limit (413) for good, so a big sweep (hundreds of addresses with every discovery port
 * filtered) sent whole would be lost. An address's records stay in one batch when they fit in
 * one; an address too large for a batch has its obs records spread over several, its sweep
 * record after them (its "probed" never arrives before its results). The listener records stay
 * together in the last batch, which alone carries `listenerView`: the collector takes the
 * listeners of a batch as the namespace's whole view. A unit larger than the limit on its own
 * (one record, or the listener view) still goes, alone in its batch.
 */
export function buildBatches(
  input: Omit<BatchInput, 'batchId'>,
  maxBytes: number,
  newBatchId: () => string,
): SizedBatch[] {
  const records = buildBatch({ ...input, batchId: '', listenerView: false });
  // The units that must not be split, in order: an address's sweep record with its obs records
  // (split only when larger than a batch), then the listener view.
  const units: WireRecord[][] = [];
  for (const r of records.slice(1)) {
    if (r.t === 'sweep') units.push([r]);
    else if (r.t === 'obs') units.at(-1)!.push(r);
  }
  const listeners = records.filter((r) => r.t === 'listener');
  const out: SizedBatch[] = [];
  let cur: SizedBatch | null = null;
  const open = (): SizedBatch => {
    const batchId = newBatchId();
    const header = { ...(records[0] as BatchHeader), batchId };
    const b: SizedBatch = { batchId, records: [header], bytes: size(header) + SEND_SLACK };
    out.push(b);
    return b;
  };
  // An empty batch's size, with the longest batch id the spool takes.
  const fresh = size({ ...(records[0] as BatchHeader), batchId: 'x'.repeat(100) }) + SEND_SLACK;
  for (const unit of units) {
    const n = unit.reduce((sum, r) => sum + size(r), 0);
    cur ??= open();
    if (cur.bytes + n <= maxBytes) {
      cur.records.push(...unit);
      cur.bytes += n;
      continue;
    }
    if (fresh + n <= maxBytes) {
      cur = open();
      cur.records.push(...unit);
      cur.bytes += n;
      continue;
    }
    // Larger than a batch: obs records first, the sweep record last, every batch filled up.
    for (const r of [...unit.slice(1), unit[0]!]) {
      const m = size(r);
      if (cur.bytes + m > maxBytes && cur.records.length > 1) cur = open();
      cur.records.push(r);
      cur.bytes += m;
    }
  }
  if (cur === null) cur = open();
  if (input.listenerView || listeners.length > 0) {
    const n = listeners.reduce((sum, r) => sum + size(r), 0);
    if (cur.bytes + n > maxBytes && cur.records.length > 1) cur = open();
    if (input.listenerView) {
      const header = { ...(cur.records[0] as BatchHeader), listenerView: true as const };
      cur.bytes += size(header) - size(cur.records[0]!);
      cur.records[0] = header;
    }
    cur.records.push(...listeners);
    cur.bytes += n;
  }
  for (const b of out) b.bytes -= SEND_SLACK;
  return out;
}

/**
 * The batch as it leaves the spool: the header's spool fields set to the spool's state at send
 * time, and its agent to the agent's current name. Only the first line is rewritten; the
 * records are sent byte for byte as spooled. The collector accepts a batch only under its
 * token's name, so a backlog written under an old `--name` must travel under the new one, or it
 * would be refused forever and hold every later batch behind it (they are the same agent's
 * results).
 */
export function withSpoolStatus(
  body: string,
  spoolDropped: number,
  spoolDepth: number,
  agent?: string,
): { body: string; header: BatchHeader } {
  const nl = body.indexOf('\n');
  const first = nl === -1 ? body : body.slice(0, nl);
  const header = JSON.parse(first) as BatchHeader;
  if (header.t !== 'batch') throw new Error('spooled batch does not start with a batch header');
  const patched: BatchHeader = { ...header, ...(agent !== undefined ? { agent } : {}), spoolDropped, spoolDepth };
  return { body: `${JSON.stringify(patched)}${nl === -1 ? '\n' : body.slice(nl)}`, header: patched };
}
