// The SQLite store (better-sqlite3's only home). One file, WAL journal, one writer: the
// collector process. Durability choice: `synchronous=FULL`. An acknowledged batch is deleted
// from the agent's spool, so the acknowledgement must survive not only a crash of the collector
// (WAL with NORMAL already does) but a power loss or kernel panic of its machine, which NORMAL
// does not promise. FULL costs one fsync per transaction, and the collector commits once per
// batch (thousands of records), so the cost is per batch, not per observation (measured in
// docs/benchmarks.md "Collector ingest"). `busy_timeout` covers `portdrift token` writing the
// same file while the collector runs.
import Database from 'better-sqlite3';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { PortdriftError } from '../../shared/errors.js';
import { parsePortSpec } from '../../shared/ports.js';
import type { Acknowledgement, Finding, FindingKind, Observation, PodIdentity, PortState, Severity } from '../../shared/types.js';
import { LATEST_SCHEMA, MIGRATIONS } from './migrations.js';
import { STATE_CODES, toColumns, type ColumnarBatch } from './columns.js';
import { hashToken, newId, newToken } from './tokens.js';
import { EnrollTokens, tokenRow } from './sqlite-enroll.js';
import type {
  AgentRecord,
  EnrollInput,
  EvaluationWrite,
  FindingStatus,
  HistoryEntry,
  HistoryEvent,
  HistoryQuery,
  IgnoreRule,
  IngestAnswer,
  IngestResult,
  ListenerState,
  NewToken,
  ParsedBatch,
  PruneCutoffs,
  Store,
  StoreStats,
  StoredFinding,
  SweepState,
  TokenRecord,
} from './types.js';

export interface SqliteStoreOptions {
  /** Open an existing file only (`portdrift token` should not create a database by typo). */
  mustExist?: boolean;
  /** `FULL` (default, see above) or `NORMAL`; the benchmark compares both. */
  synchronous?: 'FULL' | 'NORMAL';
  busyTimeoutMs?: number;
  /**
   * Most rows (latest port results plus sweeps) one agent may hold; past it new rows of that agent
   * are not stored (counted in the answer), rows it already has are still updated.
   */
  maxRowsPerAgent?: number;
}

export const DEFAULT_MAX_ROWS_PER_AGENT = 1_000_000;

type Row = Record<string, unknown>;

function storeError(file: string, what: string, err: unknown): PortdriftError {
  if (err instanceof PortdriftError) return err;
  return new PortdriftError('PD_STORE', `${file}: ${what}: ${(err as Error).message}`, { cause: err });
}

/** Contiguous runs of a sorted port list: [[1, 21], [23, 79]]. */
function runs(ports: number[]): Array<[number, number]> {
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

function findingRow(r: Row): StoredFinding {
  const ack = r.ack ? (JSON.parse(r.ack as string) as Acknowledgement) : null;
  const finding = JSON.parse(r.data as string) as Finding;
  return { finding: { ...finding, ack }, status: r.status as FindingStatus, present: r.present as number, absent: r.absent as number, ack };
}

function historyRow(r: Row): HistoryEntry {
  return {
    seq: r.seq as number,
    at: r.at as string,
    findingId: r.finding_id as string,
    kind: r.kind as FindingKind,
    severity: r.severity as Severity,
    resource: r.resource as string,
    host: r.host as string,
    port: r.port as number,
    event: r.event as HistoryEvent,
    detail: (r.detail as string | null) ?? null,
  };
}

function ignoreRow(r: Row): IgnoreRule {
  return {
    id: r.id as string,
    resource: r.resource as string,
    host: (r.host as string | null) ?? null,
    port: (r.port as number | null) ?? null,
    kind: (r.kind as FindingKind | null) ?? null,
    reason: r.reason as string,
    by: r.by as string,
    createdAt: r.created_at as string,
    expiresAt: (r.expires_at as string | null) ?? null,
  };
}

export class SqliteStore implements Store {
  readonly schemaVersion: number;
  private readonly db: Database.Database;
  private readonly s;
  private readonly ingestTx: (batch: ColumnarBatch, receivedAt: string) => IngestResult;
  private readonly evaluationTx: (w: EvaluationWrite) => void;
  private closed = false;
  private readonly enrollment: EnrollTokens;
  private readonly maxRows: number;
  /**
   * Rows per agent, so the cap costs nothing per row while an agent is far below it: `rows` is an
   * upper bound (every record of a batch counted as new) until it nears the cap; then the agent's
   * rows are counted once and tracked exactly, checking each record for an existing row.
   */
  private readonly rowCounts = new Map<string, { rows: number; exact: boolean }>();

  constructor(readonly file: string, options: SqliteStoreOptions = {}) {
    this.maxRows = options.maxRowsPerAgent ?? DEFAULT_MAX_ROWS_PER_AGENT;
    const created = file !== ':memory:' && !existsSync(file);
    try {
      this.db = new Database(file, { fileMustExist: options.mustExist ?? false });
      // Findings say where an estate is weak and tokens' hashes live here: a new store is the
      // owner's alone (SQLite gives the -wal and -shm files the database file's mode). An
      // existing file keeps the mode its owner chose.
      if (created) chmodSync(file, 0o600);
    } catch (err) {
      throw new PortdriftError('PD_STORE', `${file}: cannot open the store: ${(err as Error).message}`, { cause: err });
    }
    try {
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      // Checkpoint every ~40 MB of WAL instead of every 4 MB: ingest writes tens of MB a second,
      // and each checkpoint (with FULL, an fsync of the database) stalls the writer; measured
      // +35% rows/s. The WAL file is truncated back to 64 MB after a checkpoint.
      this.db.pragma('wal_autocheckpoint = 10000');
      this.db.pragma('journal_size_limit = 67108864');
      this.db.pragma('foreign_keys = ON');
      this.schemaVersion = this.migrate();
    } catch (err) {
      this.db.close();
      throw storeError(file, 'cannot prepare the store', err);
    }
    const db = this.db;
    this.s = {
      tokenInsert: db.prepare(`INSERT INTO tokens (id, name, role, hash, created_at, scope, expires_at, max_uses)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      tokenList: db.prepare('SELECT * FROM tokens ORDER BY created_at, id'),
      tokenFind: db.prepare('SELECT * FROM tokens WHERE id = ? OR name = ? ORDER BY created_at'),
      tokenRevoke: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      batchGet: db.prepare('SELECT answer FROM batches WHERE agent = ? AND batch_id = ?'),
      batchInsert: db.prepare('INSERT INTO batches (batch_id, agent, received_at, answer) VALUES (?, ?, ?, ?)'),
      agentUpsert: db.prepare(`
        INSERT INTO agents (name, version, first_seen, last_seen, last_batch_id, plan_revision, spool_depth, spool_dropped, batches, observations, pod, listeners_at)
        VALUES (@name, @version, @at, @at, @batch, @plan, @depth, @dropped, 1, @n, @pod, @view)
        ON CONFLICT (name) DO UPDATE SET
          version = excluded.version, last_seen = max(last_seen, excluded.last_seen), last_batch_id = excluded.last_batch_id,
          plan_revision = excluded.plan_revision, spool_depth = excluded.spool_depth, spool_dropped = spool_dropped + excluded.spool_dropped,
          batches = batches + 1, observations = observations + excluded.observations,
          pod = coalesce(excluded.pod, pod), listeners_at = coalesce(excluded.listeners_at, listeners_at)`),
      agentPlan: db.prepare(`
        INSERT INTO agents (name, first_seen, last_seen, interval_ms) VALUES (?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET interval_ms = excluded.interval_ms WHERE interval_ms IS NOT excluded.interval_ms`),
      // The key in force: the agent's newest live token (a rotation's successor once created).
      agents: db.prepare(`SELECT a.*, (SELECT count(*) FROM listeners l WHERE l.agent = a.name) AS listeners,
        k.created_at AS key_created, k.enrolled_by AS enrolled_by, k.identity AS identity
        FROM agents a LEFT JOIN tokens k ON k.id = (SELECT t.id FROM tokens t WHERE t.role = 'agent' AND t.name = a.name
          AND t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id DESC LIMIT 1)
        ORDER BY a.name`),
      listeners: db.prepare('SELECT agent, ip, port, at FROM listeners ORDER BY agent, port, ip'),
      obsUpsert: db.prepare(`
        INSERT INTO current_state (agent, host, ip, port, state, rtt_ms, at, service) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (host, ip, port, agent) DO UPDATE SET state = excluded.state, rtt_ms = excluded.rtt_ms, at = excluded.at, service = excluded.service
        WHERE excluded.at >= current_state.at`),
      obsExists: db.prepare('SELECT 1 FROM current_state WHERE host = ? AND ip = ? AND port = ? AND agent = ?'),
      sweepExists: db.prepare('SELECT 1 FROM sweeps WHERE host = ? AND ip = ? AND agent = ?'),
      rowsOf: db.prepare(`SELECT (SELECT count(*) FROM current_state WHERE agent = ?)
        + (SELECT count(*) FROM sweeps WHERE agent = ?) AS n`),
      closedDelete: db.prepare('DELETE FROM current_state WHERE agent = ? AND host = ? AND ip = ? AND port BETWEEN ? AND ? AND at <= ?'),
      sweepUpsert: db.prepare(`
        INSERT INTO sweeps (agent, host, ip, ports, closed, at, error) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (host, ip, agent) DO UPDATE SET ports = excluded.ports, closed = excluded.closed, at = excluded.at, error = excluded.error
        WHERE excluded.at >= sweeps.at`),
      listenersClear: db.prepare('DELETE FROM listeners WHERE agent = ?'),
      listenerInsert: db.prepare('INSERT OR REPLACE INTO listeners (agent, ip, port, at) VALUES (?, ?, ?, ?)'),
      observations: db.prepare('SELECT agent, host, ip, port, state, rtt_ms, at, service FROM current_state'),
      observationsOf: db.prepare('SELECT agent, host, ip, port, state, rtt_ms, at, service FROM current_state WHERE host = ?'),
      driftOf: db.prepare(`SELECT agent, host, ip, port, state, rtt_ms, at, service FROM current_state
        WHERE host = ? AND (state = 'open' OR port IN (SELECT value FROM json_each(?)))`),
      sweeps: db.prepare('SELECT * FROM sweeps'),
      sweepsOf: db.prepare('SELECT * FROM sweeps WHERE host = ?'),
      findings: db.prepare('SELECT * FROM findings ORDER BY id'),
      finding: db.prepare('SELECT * FROM findings WHERE id = ?'),
      findingUpsert: db.prepare(`
        INSERT INTO findings (id, status, kind, severity, present, absent, data, ack) VALUES (@id, @status, @kind, @severity, @present, @absent, @data, @ack)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, kind = excluded.kind, severity = excluded.severity,
          present = excluded.present, absent = excluded.absent, data = excluded.data, ack = excluded.ack`),
      findingDelete: db.prepare('DELETE FROM findings WHERE id = ?'),
      findingAck: db.prepare('UPDATE findings SET ack = ? WHERE id = ?'),
      historyInsert: db.prepare(`
        INSERT INTO history (at, finding_id, kind, severity, resource, host, port, event, detail)
        VALUES (@at, @findingId, @kind, @severity, @resource, @host, @port, @event, @detail)`),
      evaluationInsert: db.prepare('INSERT OR REPLACE INTO evaluations (at, open_count, revision) VALUES (?, ?, ?)'),
      series: db.prepare('SELECT at, open_count FROM evaluations WHERE (? IS NULL OR at > ?) ORDER BY at'),
      ignoreInsert: db.prepare('INSERT INTO ignores (id, resource, host, port, kind, reason, by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      ignores: db.prepare('SELECT * FROM ignores ORDER BY created_at, id'),
      ignoreDelete: db.prepare('DELETE FROM ignores WHERE id = ?'),
      metaGet: db.prepare('SELECT value FROM meta WHERE key = ?'),
      metaSet: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      count: (table: string) => db.prepare(`SELECT count(*) AS n FROM ${table}`),
    };
    this.enrollment = new EnrollTokens(db);
    this.ingestTx = db.transaction((batch: ColumnarBatch, receivedAt: string) => this.ingestInside(batch, receivedAt));
    this.evaluationTx = db.transaction((w: EvaluationWrite) => this.evaluationInside(w));
  }

  /** Apply pending migrations; refuse a schema newer than this code knows. */
  private migrate(): number {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = this.db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > LATEST_SCHEMA) {
      throw new PortdriftError('PD_STORE_SCHEMA', `${this.file}: the store has schema version ${current}, newer than this portdrift knows (${LATEST_SCHEMA}); upgrade portdrift or use another --data file`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
      })();
    }
    return LATEST_SCHEMA;
  }

  private run<T>(what: string, fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new PortdriftError('PD_STORE', `${this.file}: the store is closed`));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(storeError(this.file, what, err));
    }
  }

  // --- tokens ---------------------------------------------------------------------------------

  createToken(input: NewToken): Promise<{ token: string; record: TokenRecord }> {
    return this.run('create token', () => {
      const token = newToken();
      const id = newId('tok');
      const scope = input.scope ? [...input.scope] : null;
      const { name, role, now } = input;
      const expiresAt = input.expiresAt ?? null;
      const maxUses = input.maxUses ?? null;
      const scopeJson = scope ? JSON.stringify(scope) : null;
      this.s.tokenInsert.run(id, name, role, hashToken(token), now, scopeJson, expiresAt, maxUses);
      const record = { id, name, role, createdAt: now, revokedAt: null, lastUsedAt: null, scope };
      return { token, record: role === 'enroll' ? { ...record, expiresAt, maxUses, uses: 0 } : record };
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.run('list tokens', () => (this.s.tokenList.all() as Row[]).map(tokenRow));
  }

  revokeToken(idOrName: string, now: string): Promise<TokenRecord> {
    return this.run('revoke token', () => {
      const rows = (this.s.tokenFind.all(idOrName, idOrName) as Row[]).map(tokenRow).filter((t) => t.revokedAt === null);
      if (rows.length === 0) throw new PortdriftError('PD_TOKEN', `no live token with id or name "${idOrName}"`);
      if (rows.length > 1) throw new PortdriftError('PD_TOKEN', `${rows.length} live tokens are named "${idOrName}"; revoke one by id (${rows.map((r) => r.id).join(', ')})`);
      const t = rows[0]!;
      this.s.tokenRevoke.run(now, t.id);
      return { ...t, revokedAt: now };
    });
  }

  authenticate(secret: string, now: string): Promise<TokenRecord | null> {
    return this.run('authenticate', () => this.enrollment.authenticate(secret, now));
  }

  enrollSecret(secret: string, now: string): Promise<TokenRecord> {
    return this.run('check the enroll secret', () => this.enrollment.enrollSecret(secret, now));
  }

  enroll(input: EnrollInput): Promise<{ key: string; record: TokenRecord }> {
    return this.run('enroll', () => this.enrollment.enroll(input));
  }

  revokeAgent(name: string, now: string): Promise<TokenRecord[]> {
    return this.run('revoke agent', () => this.enrollment.revokeAgent(name, now));
  }

  rotateAgent(name: string, now: string, by: string): Promise<TokenRecord[]> {
    return this.run('rotate agent', () => this.enrollment.rotateAgent(name, now, by));
  }

  // --- ingest ---------------------------------------------------------------------------------

  ingestBatch(batch: ParsedBatch, receivedAt: string): Promise<IngestResult> {
    return this.ingestColumns(toColumns(batch), receivedAt);
  }

  /** The same as ingestBatch, from columns (what the store's worker thread receives). */
  ingestColumns(batch: ColumnarBatch, receivedAt: string): Promise<IngestResult> {
    return this.run('store a batch', () => {
      try {
        return this.ingestTx(batch, receivedAt);
      } catch (err) {
        // Rolled back: the row counts may have moved with it; count again when next needed.
        this.rowCounts.clear();
        throw err;
      }
    });
  }

  /** The agent's row count, counted again when an upper bound would pass the cap. */
  private rowState(agent: string, incoming: number): { rows: number; exact: boolean } {
    let st = this.rowCounts.get(agent);
    if (!st || (!st.exact && st.rows + incoming > this.maxRows)) {
      st = { rows: (this.s.rowsOf.get(agent, agent) as { n: number }).n, exact: true };
      this.rowCounts.set(agent, st);
    }
    return st;
  }

  private ingestInside(batch: ColumnarBatch, receivedAt: string): IngestResult {
    const h = batch.header;
    const seen = this.s.batchGet.get(h.agent, h.batchId) as { answer: string } | undefined;
    if (seen) return { answer: JSON.parse(seen.answer) as IngestAnswer, replayed: true };
    const cols = batch.observations;
    const n = cols.port.length;
    const str = cols.strings;
    // The row cap: below it (the usual case) records are written as they come; near it each
    // record is checked for an existing row, and a new row past the cap is not stored.
    const st = this.rowState(h.agent, batch.sweeps.length + n);
    const checked = st.rows + batch.sweeps.length + n > this.maxRows;
    let capped = 0;
    const admit = (exists: boolean): boolean => {
      if (exists) return true;
      if (st.rows >= this.maxRows) return (capped++, false);
      st.rows++;
      return true;
    };
    let sweeps = 0;
    for (const sw of batch.sweeps) {
      const ip = sw.ip ?? '';
      if (checked && !admit(this.s.sweepExists.get(sw.host, ip, h.agent) !== undefined)) continue;
      sweeps++;
      this.s.sweepUpsert.run(h.agent, sw.host, ip, sw.ports, sw.closed, sw.at, sw.error ?? null);
      if (sw.ip === null || sw.closed === '') continue;
      // Closed ports of this sweep supersede older results for them (latest result per port).
      for (const [lo, hi] of runs(parsePortSpec(sw.closed))) {
        st.rows -= this.s.closedDelete.run(h.agent, sw.host, ip, lo, hi, sw.at).changes;
      }
    }
    const up = this.s.obsUpsert;
    let stored = 0;
    for (let k = 0; k < n; k++) {
      const host = str[cols.host[k]!];
      const ip = str[cols.ip[k]!];
      if (checked && !admit(this.s.obsExists.get(host, ip, cols.port[k], h.agent) !== undefined)) continue;
      stored++;
      const rtt = cols.rtt[k]!;
      const service = cols.service[k]!;
      const state = STATE_CODES[cols.state[k]!];
      const at = str[cols.at[k]!];
      const rttMs = Number.isNaN(rtt) ? null : rtt;
      up.run(h.agent, host, ip, cols.port[k], state, rttMs, at, service === 0 ? null : str[service]);
    }
    if (!checked) {
      st.rows += sweeps + stored;
      st.exact = false;
    }
    const answer: IngestAnswer = {
      batchId: h.batchId,
      agent: h.agent,
      receivedAt,
      sweeps,
      observations: stored,
      listeners: batch.listeners.length,
      outsideModel: batch.outsideModel ?? 0,
      capped,
    };
    this.s.batchInsert.run(h.batchId, h.agent, receivedAt, JSON.stringify(answer));
    const header = { name: h.agent, version: h.agentVersion, at: receivedAt, batch: h.batchId, plan: h.planRevision };
    const view = batch.listeners.length > 0 || h.listenerView === true ? receivedAt : null;
    const pod = h.pod ? JSON.stringify(h.pod) : null;
    this.s.agentUpsert.run({ ...header, depth: h.spoolDepth, dropped: h.spoolDropped, n: stored, pod, view });
    if (view !== null) {
      // The agent's whole current view of its namespace (possibly empty, with listenerView).
      this.s.listenersClear.run(h.agent);
      for (const l of batch.listeners) this.s.listenerInsert.run(h.agent, l.ip, l.port, l.at);
    }
    return { answer, replayed: false };
  }

  hasBatch(agent: string, batchId: string): Promise<boolean> {
    return this.run('read batches', () => this.s.batchGet.get(agent, batchId) !== undefined);
  }

  observations(hosts?: ReadonlySet<string>): Promise<Observation[]> {
    return this.run('read observations', () => {
      const out: Observation[] = [];
      // By host through the index: the drift engine needs only the model's hosts, and the
      // table may hold far more (hosts that left the IaC, discovery on other addresses).
      const rows = hosts ? [...hosts].flatMap((h) => this.s.observationsOf.all(h) as Row[]) : (this.s.observations.all() as Row[]);
      for (const r of rows) {
        const o: Observation = { agent: r.agent as string, host: r.host as string, ip: r.ip as string, port: r.port as number, state: r.state as PortState, rttMs: (r.rtt_ms as number | null) ?? null, at: r.at as string };
        if (r.service) o.service = r.service as string;
        out.push(o);
      }
      return out;
    });
  }

  driftObservations(declared: ReadonlyMap<string, ReadonlySet<number>>): Promise<Observation[]> {
    return this.run('read observations', () => {
      const out: Observation[] = [];
      for (const [host, ports] of declared) {
        for (const r of this.s.driftOf.all(host, JSON.stringify([...ports])) as Row[]) {
          const o: Observation = { agent: r.agent as string, host: r.host as string, ip: r.ip as string, port: r.port as number, state: r.state as PortState, rttMs: (r.rtt_ms as number | null) ?? null, at: r.at as string };
          if (r.service) o.service = r.service as string;
          out.push(o);
        }
      }
      return out;
    });
  }

  sweeps(hosts?: ReadonlySet<string>): Promise<SweepState[]> {
    return this.run('read sweeps', () =>
      (hosts ? [...hosts].flatMap((h) => this.s.sweepsOf.all(h) as Row[]) : (this.s.sweeps.all() as Row[]))
        .map((r) => ({ agent: r.agent as string, host: r.host as string, ip: (r.ip as string) === '' ? null : (r.ip as string), ports: r.ports as string, closed: r.closed as string, at: r.at as string, error: (r.error as string | null) ?? null })),
    );
  }

  // --- agents ---------------------------------------------------------------------------------

  agents(): Promise<AgentRecord[]> {
    return this.run('read agents', () =>
      (this.s.agents.all() as Row[]).map((r) => ({
        name: r.name as string,
        version: (r.version as string | null) ?? null,
        firstSeen: r.first_seen as string,
        lastSeen: r.last_seen as string,
        lastBatchId: (r.last_batch_id as string | null) ?? null,
        planRevision: (r.plan_revision as string | null) ?? null,
        spoolDepth: r.spool_depth as number,
        spoolDropped: r.spool_dropped as number,
        batches: r.batches as number,
        observations: r.observations as number,
        intervalMs: (r.interval_ms as number | null) ?? null,
        listeners: r.listeners as number,
        listenersAt: (r.listeners_at as string | null) ?? null,
        pod: podOf(r),
        keyCreatedAt: (r.key_created as string | null) ?? null,
        enrolledBy: (r.enrolled_by as string | null) ?? null,
      })),
    );
  }

  listeners(): Promise<ListenerState[]> {
    return this.run('read listeners', () =>
      (this.s.listeners.all() as Row[]).map((r) => ({ agent: r.agent as string, ip: r.ip as string, port: r.port as number, at: r.at as string })));
  }

  notePlanServed(agent: string, intervalMs: number, now: string): Promise<void> {
    return this.run('record a plan', () => void this.s.agentPlan.run(agent, now, now, intervalMs));
  }

  // --- findings -------------------------------------------------------------------------------

  findings(): Promise<StoredFinding[]> {
    return this.run('read findings', () => (this.s.findings.all() as Row[]).map(findingRow));
  }

  finding(id: string): Promise<StoredFinding | null> {
    return this.run('read a finding', () => {
      const r = this.s.finding.get(id) as Row | undefined;
      return r ? findingRow(r) : null;
    });
  }

  applyEvaluation(write: EvaluationWrite): Promise<void> {
    return this.run('store an evaluation', () => this.evaluationTx(write));
  }

  private evaluationInside(w: EvaluationWrite): void {
    for (const f of w.upsert) {
      const { ack: _drop, ...data } = f.finding;
      this.s.findingUpsert.run({ id: f.finding.id, status: f.status, kind: f.finding.kind, severity: f.finding.severity, present: f.present, absent: f.absent, data: JSON.stringify(data), ack: f.ack ? JSON.stringify(f.ack) : null });
    }
    for (const id of w.remove) this.s.findingDelete.run(id);
    for (const h of w.history) this.s.historyInsert.run({ ...h, detail: h.detail ?? null });
    this.s.evaluationInsert.run(w.at, w.openCount, w.revision);
  }

  acknowledge(id: string, ack: Acknowledgement): Promise<StoredFinding> {
    return this.run('acknowledge a finding', () =>
      this.db.transaction(() => {
        const r = this.s.finding.get(id) as Row | undefined;
        if (!r || r.status === 'pending') throw new PortdriftError('PD_FINDING_NOT_FOUND', `no finding with id ${id}`);
        // An ack on a resolved finding would silently cover its next occurrence.
        if (r.status === 'resolved') throw new PortdriftError('PD_FINDING_RESOLVED', `finding ${id} is resolved: there is nothing to acknowledge (if it comes back it is reported anew)`);
        this.s.findingAck.run(JSON.stringify(ack), id);
        const f = findingRow({ ...r, ack: JSON.stringify(ack) });
        this.s.historyInsert.run({ at: ack.at, findingId: id, kind: f.finding.kind, severity: f.finding.severity, resource: f.finding.resource, host: f.finding.host, port: f.finding.port, event: 'acknowledged', detail: `${ack.by}: ${ack.reason}${ack.expiresAt ? ` (until ${ack.expiresAt})` : ''}` });
        return f;
      })(),
    );
  }

  history(q: HistoryQuery): Promise<HistoryEntry[]> {
    return this.run('read history', () => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.findingId) (where.push('finding_id = ?'), args.push(q.findingId));
      if (q.since) (where.push('at > ?'), args.push(q.since));
      const limit = Math.min(Math.max(q.limit ?? 1000, 1), 100_000);
      const sql = `SELECT * FROM (SELECT * FROM history ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit}) ORDER BY seq`;
      return (this.db.prepare(sql).all(...args) as Row[]).map(historyRow);
    });
  }

  openSeries(since: string | null, bucketMs: number): Promise<Array<{ at: string; open: number }>> {
    return this.run('read the open series', () => {
      const out: Array<{ at: string; open: number }> = [];
      let lastBucket = -1;
      for (const r of this.s.series.iterate(since, since) as IterableIterator<{ at: string; open_count: number }>) {
        const b = Math.floor(Date.parse(r.at) / bucketMs);
        // The highest count of the bucket, not its last: a spike of 60 findings between two quiet
        // readings of one hour must still show in the report's chart.
        const prev = out[out.length - 1];
        if (b === lastBucket && prev) out[out.length - 1] = { at: r.at, open: Math.max(prev.open, r.open_count) };
        else out.push({ at: r.at, open: r.open_count });
        lastBucket = b;
      }
      return out;
    });
  }

  // --- ignores, meta --------------------------------------------------------------------------

  addIgnore(rule: Omit<IgnoreRule, 'id'>): Promise<IgnoreRule> {
    return this.run('add an ignore rule', () => {
      const id = newId('ign');
      this.s.ignoreInsert.run(id, rule.resource, rule.host, rule.port, rule.kind, rule.reason, rule.by, rule.createdAt, rule.expiresAt);
      return { id, ...rule };
    });
  }

  ignores(): Promise<IgnoreRule[]> {
    return this.run('read ignore rules', () => (this.s.ignores.all() as Row[]).map(ignoreRow));
  }

  removeIgnore(id: string): Promise<boolean> {
    return this.run('remove an ignore rule', () => this.s.ignoreDelete.run(id).changes > 0);
  }

  getMeta(key: string): Promise<string | null> {
    return this.run('read meta', () => (this.s.metaGet.get(key) as { value: string } | undefined)?.value ?? null);
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.run('write meta', () => void this.s.metaSet.run(key, value));
  }

  // --- upkeep ---------------------------------------------------------------------------------

  prune(o: PruneCutoffs): Promise<{ batches: number; series: number; rows: number }> {
    return this.run('prune', () => {
      this.rowCounts.clear();
      const before = o.rowsBefore;
      return this.db.transaction(() => ({
        batches: this.db.prepare('DELETE FROM batches WHERE received_at < ?').run(o.batchesBefore).changes,
        series: this.db.prepare('DELETE FROM evaluations WHERE at < ?').run(o.seriesBefore).changes,
        rows: before === undefined ? 0 : ['current_state', 'sweeps', 'listeners'].reduce(
          (sum, t) => sum + this.db.prepare(`DELETE FROM ${t} WHERE at < ?`).run(before).changes,
          0,
        ),
      }))();
    });
  }

  stats(): Promise<StoreStats> {
    return this.run('read stats', () => {
      const n = (t: string) => (this.s.count(t).get() as { n: number }).n;
      let bytes = 0;
      for (const f of [this.file, `${this.file}-wal`]) {
        try {
          bytes += statSync(f).size;
        } catch {
          /* no WAL yet */
        }
      }
      const findings: Record<FindingStatus, number> = { pending: 0, open: 0, resolved: 0 };
      for (const r of this.db.prepare('SELECT status, count(*) AS n FROM findings GROUP BY status').all() as Array<{ status: FindingStatus; n: number }>) findings[r.status] = r.n;
      return { bytes, observations: n('current_state'), sweeps: n('sweeps'), batches: n('batches'), findings };
    });
  }

  integrityCheck(): Promise<string> {
    return this.run('check integrity', () => (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; '));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    try {
      this.db.close();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(storeError(this.file, 'close', err));
    }
  }
}

/** The agent's pod: its latest batch's, else what it said at enrollment (both validated on the way in). */
function podOf(r: Row): PodIdentity | null {
  const parse = (v: unknown): Record<string, unknown> | null => {
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
