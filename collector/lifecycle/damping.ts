// The finding lifecycle, pure: previous finding states + this evaluation's drift findings →
// the new states and their transitions. Flapping is damped: a drift opens only after it held in
// `cycles` consecutive cycles, and an open finding resolves only after it was absent in `cycles`
// consecutive cycles. A cycle is an evaluation that advances the damping (`advance: true`, the
// collector's interval tick); evaluations between ticks (after each batch) only refresh what
// open findings say (state, agent, message, lastSeen), so several agents' batches within one
// interval cannot confirm a blip that one sweep saw. The status changes only at those transitions; the counters
// in between (`present` of a pending or re-appearing finding, `absent` of a resolving one) are
// what the damping counts. An acknowledgement whose expiry passed is dropped here, with a
// history row, so the finding is shown unacknowledged again. A host the agent re-probed at once
// because a declared port changed, and saw the change hold (`confirmed` sweeps), is its own
// confirmation: that host's findings open and resolve in this evaluation, cycle or not.
import type { Finding } from '../../shared/types.js';
import type { EvaluationWrite, HistoryEntry, HistoryEvent, StoredFinding } from '../store/types.js';

export interface DampingOptions {
  now: string;
  /** Consecutive evaluations a change must hold before it counts (≥ 1). */
  cycles: number;
  revision: string;
  /** False: refresh open findings only; no counter moves, nothing opens or resolves. */
  advance?: boolean;
  /** Hosts of confirmed sweeps since the last evaluation: their findings change now (one cycle). */
  confirmed?: ReadonlySet<string>;
}

type Lifecycle = { write: EvaluationWrite; transitions: Transition[] };

export interface Transition {
  event: 'opened' | 'resolved' | 'reopened';
  finding: Finding;
}

export function ackActive(f: { ack: StoredFinding['ack'] }, now: string): boolean {
  return f.ack !== null && (f.ack.expiresAt === null || f.ack.expiresAt > now);
}

export function evaluateLifecycle(
  previous: readonly StoredFinding[],
  current: readonly Finding[],
  o: DampingOptions,
): Lifecycle {
  const confirmed = o.confirmed;
  if (!confirmed || confirmed.size === 0) return lifecycleOf(previous, current, o);
  const mine = (f: Finding) => confirmed.has(f.host);
  const confirmedNow = { ...o, cycles: 1, advance: true };
  const now = lifecycleOf(
    previous.filter((p) => mine(p.finding)),
    current.filter(mine),
    confirmedNow,
  );
  const rest = lifecycleOf(
    previous.filter((p) => !mine(p.finding)),
    current.filter((f) => !mine(f)),
    o,
  );
  const write: EvaluationWrite = {
    ...rest.write,
    upsert: [...now.write.upsert, ...rest.write.upsert],
    remove: [...now.write.remove, ...rest.write.remove],
    history: [...now.write.history, ...rest.write.history],
    openCount: now.write.openCount + rest.write.openCount,
  };
  return { write, transitions: [...now.transitions, ...rest.transitions] };
}

function lifecycleOf(previous: readonly StoredFinding[], current: readonly Finding[], o: DampingOptions): Lifecycle {
  if (o.advance === false) return refreshOnly(previous, current, o);
  const n = Math.max(1, Math.floor(o.cycles));
  const byId = new Map(previous.map((p) => [p.finding.id, p]));
  const seen = new Set<string>();
  const upsert: StoredFinding[] = [];
  const remove: string[] = [];
  const history: Array<Omit<HistoryEntry, 'seq'>> = [];
  const transitions: Transition[] = [];
  const record = (f: Finding, event: HistoryEvent, detail: string | null = `revision ${o.revision}`) =>
    history.push({
      at: o.now,
      findingId: f.id,
      kind: f.kind,
      severity: f.severity,
      resource: f.resource,
      host: f.host,
      port: f.port,
      event,
      detail,
    });
  const keepAck = (p: StoredFinding | undefined, f: Finding): StoredFinding['ack'] => {
    if (!p?.ack) return null;
    if (ackActive(p, o.now)) return p.ack;
    record(f, 'unacknowledged', `the acknowledgement by ${p.ack.by} expired at ${p.ack.expiresAt}`);
    return null;
  };

  for (const raw of current) {
    if (seen.has(raw.id)) continue;
    seen.add(raw.id);
    const p = byId.get(raw.id);
    const ack = keepAck(p, raw);
    const present = (p && p.absent === 0 ? p.present : 0) + 1;
    if (p?.status === 'open') {
      const f = { ...raw, firstSeen: p.finding.firstSeen, lastSeen: o.now, resolvedAt: null, ack };
      upsert.push({ finding: f, status: 'open', present, absent: 0, ack });
      continue;
    }
    // firstSeen is when the drift was first seen at all: a reopened finding keeps it.
    const firstSeen = p ? p.finding.firstSeen : o.now;
    if (present >= n) {
      // An acknowledgement covered the drift while it lasted: a drift that went away and came
      // back is news again (stores written before resolving dropped acks may still hold one).
      const kept = p?.status === 'resolved' ? null : ack;
      const f = { ...raw, firstSeen, lastSeen: o.now, resolvedAt: null, ack: kept };
      const event = p?.status === 'resolved' ? 'reopened' : 'opened';
      upsert.push({ finding: f, status: 'open', present, absent: 0, ack: kept });
      record(f, event);
      transitions.push({ event, finding: f });
    } else if (p?.status === 'resolved') {
      // Still shown as resolved (with its old times) until the drift has held long enough.
      upsert.push({ ...p, finding: { ...p.finding, ack }, present, absent: 0, ack });
    } else {
      const f = { ...raw, firstSeen, lastSeen: o.now, ack };
      upsert.push({ finding: f, status: 'pending', present, absent: 0, ack });
    }
  }

  for (const p of previous) {
    if (seen.has(p.finding.id)) continue;
    if (p.status === 'pending') {
      remove.push(p.finding.id);
      continue;
    }
    if (p.status === 'resolved') {
      if (p.present > 0) upsert.push({ ...p, present: 0 });
      continue;
    }
    const absent = p.absent + 1;
    const ack = keepAck(p, p.finding);
    if (absent >= n) {
      // Resolving ends the acknowledgement with the drift it covered (see the reopen above).
      const f = { ...p.finding, resolvedAt: o.now, ack: null };
      upsert.push({ finding: f, status: 'resolved', present: 0, absent, ack: null });
      record(f, 'resolved');
      transitions.push({ event: 'resolved', finding: f });
    } else {
      upsert.push({ ...p, finding: { ...p.finding, ack }, present: 0, absent, ack });
    }
  }

  // Every previously open finding is in `upsert` (still open, resolving or resolved).
  const openCount = upsert.filter((u) => u.status === 'open').length;
  return { write: { at: o.now, upsert, remove, history, openCount, revision: o.revision }, transitions };
}

/** Between cycles: open findings that still hold get the latest wording and lastSeen. */
function refreshOnly(
  previous: readonly StoredFinding[],
  current: readonly Finding[],
  o: DampingOptions,
): { write: EvaluationWrite; transitions: Transition[] } {
  const byId = new Map(previous.map((p) => [p.finding.id, p]));
  const upsert: StoredFinding[] = [];
  for (const raw of current) {
    const p = byId.get(raw.id);
    if (p?.status !== 'open' || p.absent > 0) continue;
    upsert.push({
      ...p,
      finding: { ...raw, firstSeen: p.finding.firstSeen, lastSeen: o.now, resolvedAt: null, ack: p.ack },
    });
  }
  const openCount = previous.filter((p) => p.status === 'open').length;
  return { write: { at: o.now, upsert, remove: [], history: [], openCount, revision: o.revision }, transitions: [] };
}
