// The SQLite store (better-sqlite3's home, with the other collector/store/sqlite-*.ts files).
// One file, WAL journal, one writer: the collector process. This class is the Store interface
// over the parts, each of one concern: opening and migrations (sqlite-open.ts), observations
// and ingest (sqlite-observations.ts), findings, acks and history (sqlite-findings.ts), tokens
// and agents (sqlite-tokens.ts, sqlite-enroll.ts), ignores, meta and upkeep (sqlite-upkeep.ts).
// Every call runs synchronously inside; its errors become PD_STORE naming the file.
import type { Database } from './sqlite-driver.js';
import { PortdriftError } from '../../shared/errors.js';
import type { Acknowledgement, Observation } from '../../shared/types.js';
import { toColumns, type ColumnarBatch } from './columns.js';
import { EnrollTokens } from './sqlite-enroll.js';
import { SqliteFindings } from './sqlite-findings.js';
import { DEFAULT_MAX_ROWS_PER_AGENT, SqliteObservations } from './sqlite-observations.js';
import { openSqlite, storeError, type SqliteStoreOptions } from './sqlite-open.js';
import { SqliteTokens } from './sqlite-tokens.js';
import { SqliteUpkeep } from './sqlite-upkeep.js';
import type {
  AgentRecord,
  EnrollInput,
  EvaluationWrite,
  HistoryEntry,
  HistoryQuery,
  IgnoreRule,
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

export { DEFAULT_MAX_ROWS_PER_AGENT, type SqliteStoreOptions };

export class SqliteStore implements Store {
  readonly schemaVersion: number;
  private readonly db: Database;
  private closed = false;
  private readonly tokens: SqliteTokens;
  private readonly enrollment: EnrollTokens;
  private readonly obs: SqliteObservations;
  private readonly found: SqliteFindings;
  private readonly upkeep: SqliteUpkeep;

  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    const { db, schemaVersion } = openSqlite(file, options);
    this.db = db;
    this.schemaVersion = schemaVersion;
    try {
      this.tokens = new SqliteTokens(db);
      this.enrollment = new EnrollTokens(db);
      this.obs = new SqliteObservations(db, options.maxRowsPerAgent ?? DEFAULT_MAX_ROWS_PER_AGENT);
      this.found = new SqliteFindings(db);
      this.upkeep = new SqliteUpkeep(db, file);
    } catch (err) {
      db.close();
      throw storeError(file, 'cannot prepare the store', err);
    }
  }

  private run<T>(what: string, fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new PortdriftError('PD_STORE', `${this.file}: the store is closed`));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(storeError(this.file, what, err));
    }
  }

  // --- tokens and agents ----------------------------------------------------------------------

  createToken(input: NewToken): Promise<{ token: string; record: TokenRecord }> {
    return this.run('create token', () => this.tokens.createToken(input));
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.run('list tokens', () => this.tokens.listTokens());
  }

  revokeToken(idOrName: string, now: string): Promise<TokenRecord> {
    return this.run('revoke token', () => this.tokens.revokeToken(idOrName, now));
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

  agents(): Promise<AgentRecord[]> {
    return this.run('read agents', () => this.tokens.agents());
  }

  listeners(): Promise<ListenerState[]> {
    return this.run('read listeners', () => this.tokens.listeners());
  }

  notePlanServed(agent: string, intervalMs: number, now: string): Promise<void> {
    return this.run('record a plan', () => this.tokens.notePlanServed(agent, intervalMs, now));
  }

  // --- observations ---------------------------------------------------------------------------

  ingestBatch(batch: ParsedBatch, receivedAt: string): Promise<IngestResult> {
    return this.ingestColumns(toColumns(batch), receivedAt);
  }

  /** The same as ingestBatch, from columns (what the store's worker thread receives). */
  ingestColumns(batch: ColumnarBatch, receivedAt: string): Promise<IngestResult> {
    return this.run('store a batch', () => this.obs.ingest(batch, receivedAt));
  }

  hasBatch(agent: string, batchId: string): Promise<boolean> {
    return this.run('read batches', () => this.obs.hasBatch(agent, batchId));
  }

  observations(hosts?: ReadonlySet<string>): Promise<Observation[]> {
    return this.run('read observations', () => this.obs.observations(hosts));
  }

  driftObservations(declared: ReadonlyMap<string, ReadonlySet<number>>): Promise<Observation[]> {
    return this.run('read observations', () => this.obs.driftObservations(declared));
  }

  sweeps(hosts?: ReadonlySet<string>): Promise<SweepState[]> {
    return this.run('read sweeps', () => this.obs.sweeps(hosts));
  }

  // --- findings, acks, history ----------------------------------------------------------------

  findings(): Promise<StoredFinding[]> {
    return this.run('read findings', () => this.found.findings());
  }

  finding(id: string): Promise<StoredFinding | null> {
    return this.run('read a finding', () => this.found.finding(id));
  }

  applyEvaluation(write: EvaluationWrite): Promise<void> {
    return this.run('store an evaluation', () => this.found.applyEvaluation(write));
  }

  acknowledge(id: string, ack: Acknowledgement): Promise<StoredFinding> {
    return this.run('acknowledge a finding', () => this.found.acknowledge(id, ack));
  }

  history(q: HistoryQuery): Promise<HistoryEntry[]> {
    return this.run('read history', () => this.found.history(q));
  }

  openSeries(since: string | null, bucketMs: number): Promise<Array<{ at: string; open: number }>> {
    return this.run('read the open series', () => this.found.openSeries(since, bucketMs));
  }

  // --- ignores, meta, upkeep ------------------------------------------------------------------

  addIgnore(rule: Omit<IgnoreRule, 'id'>): Promise<IgnoreRule> {
    return this.run('add an ignore rule', () => this.upkeep.addIgnore(rule));
  }

  ignores(): Promise<IgnoreRule[]> {
    return this.run('read ignore rules', () => this.upkeep.ignores());
  }

  removeIgnore(id: string): Promise<boolean> {
    return this.run('remove an ignore rule', () => this.upkeep.removeIgnore(id));
  }

  getMeta(key: string): Promise<string | null> {
    return this.run('read meta', () => this.upkeep.getMeta(key));
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.run('write meta', () => this.upkeep.setMeta(key, value));
  }

  prune(o: PruneCutoffs): Promise<{ batches: number; series: number; rows: number }> {
    return this.run('prune', () => {
      this.obs.forgetCounts();
      return this.upkeep.prune(o);
    });
  }

  stats(): Promise<StoreStats> {
    return this.run('read stats', () => this.upkeep.stats());
  }

  integrityCheck(): Promise<string> {
    return this.run('check integrity', () => this.upkeep.integrityCheck());
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
