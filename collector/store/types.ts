// The collector's store: everything the collector keeps between restarts, behind one interface
// so that a PostgreSQL store (several collector replicas) can implement it later. Every method is
// asynchronous for that reason, although the SQLite implementation answers synchronously inside.
// Rules every implementation keeps:
//   - ingestBatch is one transaction: either the whole batch is stored and its key recorded, or
//     nothing is; a key already recorded returns the first answer and stores nothing. The key is
//     (agent, batch id): agents choose their ids, and one agent's id never hides another's batch.
//   - observations are "latest per (agent, host, ip, port)": an older record never replaces a
//     newer one (batches delivered late from an agent's spool arrive out of order).
//   - applyEvaluation writes finding states and their history rows in one transaction.
import type {
  Acknowledgement,
  BatchHeader,
  Finding,
  FindingKind,
  ListenerRecord,
  Observation,
  ObservationRecord,
  PodIdentity,
  Severity,
  SweepRecord,
} from '../../shared/types.js';

/** Most rows (latest port results plus sweeps) one agent may hold unless configured otherwise. */
export const DEFAULT_MAX_ROWS_PER_AGENT = 1_000_000;

export type Role = 'agent' | 'reader' | 'admin' | 'enroll';
export const ROLES: readonly Role[] = ['agent', 'reader', 'admin', 'enroll'];

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /**
   * Agent tokens: the CIDRs the agent may report on and is planned for. null on reader and admin
   * tokens, and on agent tokens created before scopes existed (unrestricted, warned about).
   */
  scope: string[] | null;
  /** Enroll secrets only: when it stops enrolling (null: never), most agents it enrolls, agents enrolled. */
  expiresAt?: string | null;
  maxUses?: number | null;
  uses?: number;
  /** Agent keys from POST /v1/enroll: the id of the enroll secret used. */
  enrolledBy?: string;
  /** `agents rotate`: the old key works until the new one is first used, or until this time. */
  rotateBy?: string;
  /**
   * Set by authenticate on a key being rotated: the new key, sent once to the agent in the
   * Portdrift-Agent-Key response header (only its hash is stored).
   */
  newKey?: string;
}

export interface NewToken {
  name: string;
  role: Role;
  now: string;
  /** Agent and enroll tokens: the CIDRs (validated by the caller); null or absent for reader and admin. */
  scope?: readonly string[] | null;
  /** Enroll secrets: when they stop enrolling, and how many agents they may enroll. */
  expiresAt?: string | null;
  maxUses?: number | null;
}

/** An agent's enrollment (POST /v1/enroll), validated by the caller. */
export interface EnrollInput {
  secret: string;
  name: string;
  scope: readonly string[];
  /** What the agent says of itself (host, version, pod fields), kept as JSON. */
  identity: Record<string, unknown>;
  now: string;
}

/** What prune forgets: batch ids, series points and result rows before these times. */
export interface PruneCutoffs {
  batchesBefore: string;
  seriesBefore: string;
  rowsBefore?: string;
}

/** A batch as parsed and validated from the wire (collector/ingest/parse.ts). */
export interface ParsedBatch {
  header: BatchHeader;
  sweeps: SweepRecord[];
  observations: ObservationRecord[];
  listeners: ListenerRecord[];
  /** Records the collector dropped before storing: their host is not in the declared model. */
  outsideModel?: number;
}

/** The answer to a batch; stored with its key so that a repeat gets the same answer. */
export interface IngestAnswer {
  batchId: string;
  agent: string;
  receivedAt: string;
  sweeps: number;
  observations: number;
  listeners: number;
  /** Records dropped because their host is in no IaC (the counts above are what was stored). */
  outsideModel: number;
  /** New rows not stored because the agent reached its row cap (maxRowsPerAgent). */
  capped: number;
}

export interface IngestResult {
  answer: IngestAnswer;
  /** True when the key had been seen: nothing was stored this time. */
  replayed: boolean;
}

/** The latest sweep of one address by one agent: which ports it probed, which answered closed. */
export interface SweepState {
  agent: string;
  host: string;
  ip: string | null;
  ports: string;
  closed: string;
  at: string;
  error: string | null;
}

export interface AgentRecord {
  name: string;
  version: string | null;
  firstSeen: string;
  lastSeen: string;
  lastBatchId: string | null;
  planRevision: string | null;
  spoolDepth: number;
  /** Batches the agent's spool dropped, summed over every header (each reports the drops since the last one). */
  spoolDropped: number;
  batches: number;
  observations: number;
  /** The interval of the last plan served to this agent (late = 3 × this without a batch). */
  intervalMs: number | null;
  /** Listener records of the agent's own namespace (--listeners), latest view. */
  listeners: number;
  /** When the latest listener view arrived (null: the agent never sent one). */
  listenersAt: string | null;
  /** The agent's pod: from its latest batch that said one, else from its enrollment; null outside Kubernetes. */
  pod: PodIdentity | null;
  /** When the agent's key in force (its newest live agent token) was created; null: no live key. */
  keyCreatedAt: string | null;
  /** The enroll secret the key came from (its id); null for a token made by hand. */
  enrolledBy: string | null;
}

/** One LISTEN socket of an agent's namespace, as the latest view of that agent holds it. */
export interface ListenerState {
  agent: string;
  ip: string;
  port: number;
  at: string;
}

export type FindingStatus = 'pending' | 'open' | 'resolved';

/** A finding as the lifecycle keeps it: the drift engine's finding plus its damping counters. */
export interface StoredFinding {
  finding: Finding;
  status: FindingStatus;
  /** Consecutive evaluations in which the drift held (pending/open) or was absent (open → resolving). */
  present: number;
  absent: number;
  /** Raw acknowledgement, also when expired (an expired ack is not shown). */
  ack: Acknowledgement | null;
}

export type HistoryEvent = 'opened' | 'resolved' | 'reopened' | 'acknowledged' | 'unacknowledged' | 'ignored';

export interface HistoryEntry {
  seq: number;
  at: string;
  findingId: string;
  kind: FindingKind;
  severity: Severity;
  resource: string;
  host: string;
  port: number;
  event: HistoryEvent;
  /** Free text: the ack reason, the model revision the transition happened under. */
  detail: string | null;
}

export interface HistoryQuery {
  findingId?: string;
  since?: string;
  limit?: number;
}

/** What one evaluation changes: the new state of every finding it touched, and the transitions. */
export interface EvaluationWrite {
  at: string;
  upsert: StoredFinding[];
  /** Pending findings that no longer hold: forgotten, they never opened. */
  remove: string[];
  history: Array<Omit<HistoryEntry, 'seq'>>;
  /** The open count after this evaluation (report charts). */
  openCount: number;
  revision: string;
}

export interface IgnoreRule {
  id: string;
  /** Resource address or glob (`module.api.*`); `*` for any. */
  resource: string;
  host: string | null;
  port: number | null;
  kind: FindingKind | null;
  reason: string;
  by: string;
  createdAt: string;
  expiresAt: string | null;
}

export interface StoreStats {
  bytes: number;
  observations: number;
  sweeps: number;
  batches: number;
  findings: Record<FindingStatus, number>;
}

export interface Store {
  readonly schemaVersion: number;

  createToken(input: NewToken): Promise<{ token: string; record: TokenRecord }>;
  listTokens(): Promise<TokenRecord[]>;
  /** Revoke by id or by name; throws PD_TOKEN when none matches. */
  revokeToken(idOrName: string, now: string): Promise<TokenRecord>;
  /** The live token whose secret this is, or null (unknown or revoked). */
  authenticate(secret: string, now: string): Promise<TokenRecord | null>;
  /** The enroll secret, if it may enroll now; else PD_ENROLL_SECRET_{INVALID,EXPIRED,EXHAUSTED,REVOKED}. */
  enrollSecret(secret: string, now: string): Promise<TokenRecord>;
  /**
   * One transaction: re-check the secret, refuse a name a live agent key holds (PD_AGENT_NAME_TAKEN),
   * count the use, create the agent key. Nothing is stored when it throws.
   */
  enroll(input: EnrollInput): Promise<{ key: string; record: TokenRecord }>;
  /** Revoke every live agent key of this agent name; PD_TOKEN when there is none. */
  revokeAgent(name: string, now: string): Promise<TokenRecord[]>;
  /** Ask for a new key of this agent on its next request; the old one works at most until `by`. */
  rotateAgent(name: string, now: string, by: string): Promise<TokenRecord[]>;

  ingestBatch(batch: ParsedBatch, receivedAt: string): Promise<IngestResult>;
  /** Latest non-closed (and explicitly closed) observation per (agent, host, ip, port), for the hosts given (all when
   * omitted). */
  observations(hosts?: ReadonlySet<string>): Promise<Observation[]>;
  /**
   * What the drift engine needs of each host given: its open ports, and every result of its
   * declared ports (the map's values). A filtered or unreachable port nothing declares carries
   * no drift (undeclared and moved need it open), so it stays in the store.
   */
  driftObservations(declared: ReadonlyMap<string, ReadonlySet<number>>): Promise<Observation[]>;
  sweeps(hosts?: ReadonlySet<string>): Promise<SweepState[]>;
  /** Whether this agent's batch id is remembered (ids are per agent: two agents may use the same). */
  hasBatch(agent: string, batchId: string): Promise<boolean>;

  agents(): Promise<AgentRecord[]>;
  /** The latest listener view of every agent that sent one. */
  listeners(): Promise<ListenerState[]>;
  notePlanServed(agent: string, intervalMs: number, now: string): Promise<void>;

  findings(): Promise<StoredFinding[]>;
  finding(id: string): Promise<StoredFinding | null>;
  applyEvaluation(write: EvaluationWrite): Promise<void>;
  acknowledge(id: string, ack: Acknowledgement): Promise<StoredFinding>;
  history(query: HistoryQuery): Promise<HistoryEntry[]>;
  /**
   * Open counts after each evaluation since `since`: at most one point per `bucketMs`, the
   * bucket's highest count (so no spike is lost) at the time of its last evaluation.
   */
  openSeries(since: string | null, bucketMs: number): Promise<Array<{ at: string; open: number }>>;

  addIgnore(rule: Omit<IgnoreRule, 'id'>): Promise<IgnoreRule>;
  ignores(): Promise<IgnoreRule[]>;
  removeIgnore(id: string): Promise<boolean>;

  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  /**
   * Forget batch ids received before `batchesBefore`, open-count points before `seriesBefore`,
   * and observation, sweep and listener rows whose time is before `rowsBefore`.
   */
  prune(o: PruneCutoffs): Promise<{ batches: number; series: number; rows: number }>;
  stats(): Promise<StoreStats>;
  /** `ok`, or the problems SQLite (or the database) reports. */
  integrityCheck(): Promise<string>;
  close(): Promise<void>;
}
