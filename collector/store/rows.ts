// Rows of the store's tables as the Store interface answers them. Shared by every store: the
// column names and the JSON kept in text columns are the same in SQLite and PostgreSQL.
import type {
  Acknowledgement,
  Finding,
  FindingKind,
  Observation,
  PodIdentity,
  PortState,
  Severity,
} from '../../shared/types.js';
import type {
  AgentRecord,
  FindingStatus,
  HistoryEntry,
  HistoryEvent,
  IgnoreRule,
  ListenerState,
  Role,
  StoredFinding,
  SweepState,
  TokenRecord,
} from './types.js';

export type Row = Record<string, unknown>;

/** A JSON text column (SQLite) or an already parsed json column (a driver may parse it). */
function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** Numbers a driver may hand back as strings (PostgreSQL bigint, count(*)). */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function findingRow(r: Row): StoredFinding {
  const ack = r.ack ? json<Acknowledgement>(r.ack) : null;
  const finding = json<Finding>(r.data);
  return {
    finding: { ...finding, ack },
    status: r.status as FindingStatus,
    present: num(r.present),
    absent: num(r.absent),
    ack,
  };
}

export function historyRow(r: Row): HistoryEntry {
  return {
    seq: num(r.seq),
    at: r.at as string,
    findingId: r.finding_id as string,
    kind: r.kind as FindingKind,
    severity: r.severity as Severity,
    resource: r.resource as string,
    host: r.host as string,
    port: num(r.port),
    event: r.event as HistoryEvent,
    detail: (r.detail as string | null) ?? null,
  };
}

export function ignoreRow(r: Row): IgnoreRule {
  return {
    id: r.id as string,
    resource: r.resource as string,
    host: (r.host as string | null) ?? null,
    port: r.port === null || r.port === undefined ? null : num(r.port),
    kind: (r.kind as FindingKind | null) ?? null,
    reason: r.reason as string,
    by: r.by as string,
    createdAt: r.created_at as string,
    expiresAt: (r.expires_at as string | null) ?? null,
  };
}

export function observationRow(r: Row): Observation {
  const o: Observation = {
    agent: r.agent as string,
    host: r.host as string,
    ip: r.ip as string,
    port: num(r.port),
    state: r.state as PortState,
    rttMs: r.rtt_ms === null || r.rtt_ms === undefined ? null : num(r.rtt_ms),
    at: r.at as string,
  };
  if (r.service) o.service = r.service as string;
  return o;
}

export function sweepRow(r: Row): SweepState {
  const ip = r.ip as string;
  return {
    agent: r.agent as string,
    host: r.host as string,
    ip: ip === '' ? null : ip,
    ports: r.ports as string,
    closed: r.closed as string,
    at: r.at as string,
    error: (r.error as string | null) ?? null,
  };
}

export function agentRow(r: Row): AgentRecord {
  return {
    name: r.name as string,
    version: (r.version as string | null) ?? null,
    firstSeen: r.first_seen as string,
    lastSeen: r.last_seen as string,
    lastBatchId: (r.last_batch_id as string | null) ?? null,
    planRevision: (r.plan_revision as string | null) ?? null,
    spoolDepth: num(r.spool_depth),
    spoolDropped: num(r.spool_dropped),
    batches: num(r.batches),
    observations: num(r.observations),
    intervalMs: r.interval_ms === null || r.interval_ms === undefined ? null : num(r.interval_ms),
    listeners: num(r.listeners),
    listenersAt: (r.listeners_at as string | null) ?? null,
    pod: podOf(r),
    keyCreatedAt: (r.key_created as string | null) ?? null,
    enrolledBy: (r.enrolled_by as string | null) ?? null,
  };
}

/** The agent's pod: its latest batch's, else what it said at enrollment (both validated on the way in). */
function podOf(r: Row): PodIdentity | null {
  const parse = (v: unknown): Record<string, unknown> | null => {
    // pg returns jsonb as objects, SQLite as text.
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    if (typeof v !== 'string') return null;
    try {
      const x = JSON.parse(v) as unknown;
      return x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  const fromBatch = parse(r.pod);
  if (fromBatch) return fromBatch as PodIdentity;
  const enrolled = parse(r.identity)?.pod;
  return enrolled && typeof enrolled === 'object' ? (enrolled as PodIdentity) : null;
}

export function listenerRow(r: Row): ListenerState {
  return { agent: r.agent as string, ip: r.ip as string, port: num(r.port), at: r.at as string };
}

/** The open-count series, at most one point per bucket: the bucket's highest count at its last time. */
export function bucketSeries(
  rows: Iterable<{ at: string; open_count: number }>,
  bucketMs: number,
): Array<{ at: string; open: number }> {
  const out: Array<{ at: string; open: number }> = [];
  let lastBucket = -1;
  for (const r of rows) {
    const b = Math.floor(Date.parse(r.at) / bucketMs);
    const open = num(r.open_count);
    // The highest count of the bucket, not its last: a spike of 60 findings between two quiet
    // readings of one hour must still show in the report's chart.
    const prev = out[out.length - 1];
    if (b === lastBucket && prev) out[out.length - 1] = { at: r.at, open: Math.max(prev.open, open) };
    else out.push({ at: r.at, open });
    lastBucket = b;
  }
  return out;
}

/** The history line an acknowledgement writes. */
export function ackDetail(ack: Acknowledgement): string {
  return `${ack.by}: ${ack.reason}${ack.expiresAt ? ` (until ${ack.expiresAt})` : ''}`;
}

/** Contiguous runs of a sorted port list: [[1, 21], [23, 79]]. */
export function runs(ports: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < ports.length; ) {
    const lo = ports[i]!;
    let hi = lo;
    while (i + 1 < ports.length && ports[i + 1] === hi + 1) hi = ports[++i]!;
    out.push([lo, hi]);
    i++;
  }
  return out;
}

export function tokenRow(r: Row): TokenRecord {
  const t: TokenRecord = {
    id: r.id as string,
    name: r.name as string,
    role: r.role as Role,
    createdAt: r.created_at as string,
    revokedAt: (r.revoked_at as string | null) ?? null,
    lastUsedAt: (r.last_used_at as string | null) ?? null,
    scope: r.scope ? (JSON.parse(r.scope as string) as string[]) : null,
  };
  if (t.role === 'enroll') {
    t.expiresAt = (r.expires_at as string | null) ?? null;
    t.maxUses = (r.max_uses as number | null) ?? null;
    t.uses = (r.uses as number | undefined) ?? 0;
  }
  if (r.enrolled_by) t.enrolledBy = r.enrolled_by as string;
  if (r.rotate_by) t.rotateBy = r.rotate_by as string;
  return t;
}
