// One sweep → one observation batch, as wire records (shared/types.ts "Agent ⇄ collector wire
// format"): a batch header, one sweep record per probed address (its probed and closed ports as
// port specs, so closed is explicit and never inferred from silence), one obs record per port
// that did not answer closed, and the listener records of the --listeners view.
import { formatPortSpec } from '../../shared/ports.js';
import type { BatchHeader, ListenerRecord, ObservationRecord, ProbeResult, SweepRecord, WireRecord } from '../../shared/types.js';

/** What the batch needs of one host sweep of the probe engine (agent/probe HostSweep). */
export interface SweepResult {
  host: string;
  ip: string | null;
  error?: string;
  /** Every port probed at this address. */
  ports: number[];
  results: ProbeResult[];
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

/**
 * The batch as it leaves the spool: the header's spool fields set to the spool's state at send
 * time, and its agent to the agent's current name. Only the first line is rewritten; the
 * records are sent byte for byte as spooled. The collector accepts a batch only under its
 * token's name, so a backlog written under an old `--name` must travel under the new one, or it
 * would be refused forever and hold every later batch behind it (they are the same agent's
 * results).
 */
export function withSpoolStatus(body: string, spoolDropped: number, spoolDepth: number, agent?: string): { body: string; header: BatchHeader } {
  const nl = body.indexOf('\n');
  const first = nl === -1 ? body : body.slice(0, nl);
  const header = JSON.parse(first) as BatchHeader;
  if (header.t !== 'batch') throw new Error('spooled batch does not start with a batch header');
  const patched: BatchHeader = { ...header, ...(agent !== undefined ? { agent } : {}), spoolDropped, spoolDepth };
  return { body: `${JSON.stringify(patched)}${nl === -1 ? '\n' : body.slice(nl)}`, header: patched };
}
