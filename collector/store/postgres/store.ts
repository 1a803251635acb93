// The PostgreSQL store: the Store interface for collectors that outgrow one machine, any number
// of replicas on one database. Opened with `--data postgres://…` (connect.ts); the schema is
// migrated once under a lock (schema.ts); ingest is a few statements per batch (ingest.ts) and
// observations.ts reads what they wrote; tokens (tokens.ts) and findings (findings.ts) lock what
// they read and then write. Every error becomes PD_STORE naming the database by its URL without
// the password.
import type pg from 'pg';
import { PortdriftError } from '../../../shared/errors.js';
import type { Acknowledgement, Observation } from '../../../shared/types.js';
import { agentRow, listenerRow, num } from '../rows.js';
import {
  DEFAULT_MAX_ROWS_PER_AGENT,
  type AgentRecord,
  type EnrollInput,
  type EvaluationWrite,
  type HistoryEntry,
  type HistoryQuery,
  type IgnoreRule,
  type IngestResult,
  type ListenerState,
  type NewToken,
  type ParsedBatch,
  type PruneCutoffs,
  type Store,
  type StoreStats,
  type StoredFinding,
  type SweepState,
  type TokenRecord,
} from '../types.js';
import { isConnectionError, openPool, redactUrl, type PgTargetOptions } from './connect.js';
import { PgFindings } from './findings.js';
import { PgAlertCaps } from './alert-caps.js';
import { PgInventory } from './inventory.js';
import { PgLease } from './lease.js';
import { PgObservations } from './observations.js';
import { PgOutbox } from './outbox.js';
import { migratePg } from './schema.js';
import { PgTokens } from './tokens.js';

export interface PostgresStoreOptions extends PgTargetOptions {
  maxRowsPerAgent?: number;
}

export class PostgresStore implements Store {
  private closed = false;
  private readonly tokens: PgTokens;
  private readonly found: PgFindings;
  private readonly obs: PgObservations;
  private readonly tx = <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => this.transaction(fn);

  private constructor(
    private readonly pool: pg.Pool,
    readonly schemaVersion: number,
    /** The URL without its password: what messages name. */
    readonly shown: string,
    maxRows: number,
  ) {
    this.tokens = new PgTokens(pool, this.tx);
    this.found = new PgFindings(pool, this.tx);
    this.obs = new PgObservations(pool, this.tx, maxRows);
  }

  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const shown = redactUrl(url);
    const pool = await openPool(url, options);
    try {
      const client = await pool.connect();
      let version: number;
      try {
        version = await migratePg(client, shown);
      } finally {
        client.release();
      }
      return new PostgresStore(pool, version, shown, options.maxRowsPerAgent ?? DEFAULT_MAX_ROWS_PER_AGENT);
    } catch (err) {
      await pool.end().catch(() => {});
      throw storeError(shown, 'cannot prepare the store', err);
    }
  }

  private async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new PortdriftError('PD_STORE', `${this.shown}: the store is closed`);
    try {
      return await fn();
    } catch (err) {
      throw storeError(this.shown, what, err);
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
    return this.run('authenticate', () => this.tokens.authenticate(secret, now));
  }

  enrollSecret(secret: string, now: string): Promise<TokenRecord> {
    return this.run('check the enroll secret', () => this.tokens.enrollSecret(secret, now));
  }

  enroll(input: EnrollInput): Promise<{ key: string; record: TokenRecord }> {
    return this.run('enroll', () => this.tokens.enroll(input));
  }

  revokeAgent(name: string, now: string): Promise<TokenRecord[]> {
    return this.run('revoke agent', () => this.tokens.revokeAgent(name, now));
  }

  rotateAgent(name: string, now: string, by: string): Promise<TokenRecord[]> {
    return this.run('rotate agent', () => this.tokens.rotateAgent(name, now, by));
  }

  agents(): Promise<AgentRecord[]> {
    return this.run('read agents', async () => {
      // The key in force: the agent's newest live token (a rotation's successor once created).
      const sql = `SELECT a.*, (SELECT count(*) FROM listeners l WHERE l.agent = a.name) AS listeners,
        k.created_at AS key_created, k.enrolled_by AS enrolled_by, k.identity AS identity
        FROM agents a LEFT JOIN tokens k ON k.id = (SELECT t.id FROM tokens t WHERE t.role = 'agent' AND t.name = a.name
          AND t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id DESC LIMIT 1)
        ORDER BY a.name`;
      return (await this.pool.query(sql)).rows.map(agentRow);
    });
  }

  listeners(): Promise<ListenerState[]> {
    return this.run('read listeners', async () => {
      const sql = 'SELECT agent, ip, port, at FROM listeners ORDER BY agent, port, ip';
      return (await this.pool.query(sql)).rows.map(listenerRow);
    });
  }

  notePlanServed(agent: string, intervalMs: number, now: string): Promise<void> {
    return this.run('record a plan', async () => {
      await this.pool.query(
        `INSERT INTO agents (name, first_seen, last_seen, interval_ms) VALUES ($1, $2, $2, $3)
          ON CONFLICT (name) ` +
          `DO UPDATE SET interval_ms = excluded.interval_ms WHERE ` +
          `agents.interval_ms IS DISTINCT FROM excluded.interval_ms`,
        [agent, now, intervalMs],
      );
    });
  }

  // --- observations ---------------------------------------------------------------------------

  ingestBatch(batch: ParsedBatch, receivedAt: string): Promise<IngestResult> {
    return this.run('store a batch', () => this.obs.ingestBatch(batch, receivedAt));
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

  // --- findings, acks, history, ignores, meta -------------------------------------------------

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

  addIgnore(rule: Omit<IgnoreRule, 'id'>): Promise<IgnoreRule> {
    return this.run('add an ignore rule', () => this.found.addIgnore(rule));
  }

  ignores(): Promise<IgnoreRule[]> {
    return this.run('read ignore rules', () => this.found.ignores());
  }

  removeIgnore(id: string): Promise<boolean> {
    return this.run('remove an ignore rule', () => this.found.removeIgnore(id));
  }

  getMeta(key: string): Promise<string | null> {
    return this.run('read meta', () => this.found.getMeta(key));
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.run('write meta', () => this.found.setMeta(key, value));
  }

  // --- upkeep ---------------------------------------------------------------------------------

  prune(o: PruneCutoffs): Promise<{ batches: number; series: number; rows: number }> {
    return this.run('prune', () => this.obs.prune(o));
  }

  stats(): Promise<StoreStats> {
    return this.run('read stats', async () => {
      const { rows } = await this.pool.query(`SELECT pg_database_size(current_database()) AS bytes,
        (SELECT count(*) FROM current_state) AS observations, (SELECT count(*) FROM sweeps) AS sweeps,
        (SELECT count(*) FROM batches) AS batches`);
      const r = rows[0]!;
      const findings = { pending: 0, open: 0, resolved: 0 };
      for (const f of (await this.pool.query('SELECT status, count(*) AS n FROM findings GROUP BY status')).rows) {
        findings[f.status as keyof typeof findings] = num(f.n);
      }
      return {
        bytes: num(r.bytes),
        observations: num(r.observations),
        sweeps: num(r.sweeps),
        batches: num(r.batches),
        findings,
      };
    });
  }

  /** PostgreSQL checks its own pages; what is checked here is that the schema answers. */
  integrityCheck(): Promise<string> {
    return this.run('check integrity', async () => {
      await this.pool.query('SELECT 1 FROM schema_version LIMIT 1');
      return 'ok';
    });
  }

  /** A leader lease on this database (started by the caller). */
  lease(o: ConstructorParameters<typeof PgLease>[1] = {}): PgLease {
    return new PgLease(this.pool, o);
  }

  /**
   * The shared outbox, its claims named `holder` (the replica's lease holder). `alerts`: queue a
   * webhook alert for each finding transition from now on, in the transaction that writes it.
   */
  outbox(holder: string, o: { alerts: boolean; claimMs?: number }): PgOutbox {
    this.found.queueAlerts = o.alerts;
    return new PgOutbox(this.pool, holder, o.claimMs);
  }

  /** The live inventory the replicas share (`live: aws`), stored as read by `holder`. */
  inventory(holder: string): Pick<PgInventory, 'read' | 'write'> {
    const inv = new PgInventory(this.pool, holder);
    return {
      read: (key, known) => this.run('read the live inventory', () => inv.read(key, known)),
      write: (key, inventory) => this.run('store the live inventory', () => inv.write(key, inventory)),
    };
  }

  /** The webhooks' hourly caps shared by the replicas (held alerts survive a change of leader). */
  alertCaps(): Pick<PgAlertCaps, 'admit' | 'dueDigest' | 'digestSent'> {
    const caps = new PgAlertCaps(this.pool, this.tx);
    return {
      admit: (webhook, event, id, o) => this.run('count a webhook alert', () => caps.admit(webhook, event, id, o)),
      dueDigest: (webhook, now, windowMs) => this.run('read held alerts', () => caps.dueDigest(webhook, now, windowMs)),
      digestSent: (webhook, taken) => this.run('clear held alerts', () => caps.digestSent(webhook, taken)),
    };
  }

  /** Whether the database answers now (for /healthz). */
  async reachable(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool.end();
    } catch (err) {
      throw storeError(this.shown, 'close', err);
    }
  }
}

/** Seconds an HTTP client is told to wait while the database cannot be reached. */
const UNAVAILABLE_RETRY_S = 5;

function storeError(shown: string, what: string, err: unknown): PortdriftError {
  if (err instanceof PortdriftError) return err;
  // The database down or restarting: a 503 with Retry-After (agents keep the batch spooled and
  // send it again; a load balancer may try another replica), not a 500 that reads as a bug.
  if (isConnectionError(err))
    return new PortdriftError('PD_STORE_UNAVAILABLE', `${shown}: ${what}: ${(err as Error).message}`, {
      cause: err,
      details: { retryAfterSeconds: UNAVAILABLE_RETRY_S },
    });
  return new PortdriftError('PD_STORE', `${shown}: ${what}: ${(err as Error).message}`, { cause: err });
}
