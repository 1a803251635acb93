// Opening the SQLite file: its mode, its pragmas and its migrations. Durability choice:
// `synchronous=FULL`. An acknowledged batch is deleted from the agent's spool, so the
// acknowledgement must survive not only a crash of the collector (WAL with NORMAL already does)
// but a power loss or kernel panic of its machine, which NORMAL does not promise. FULL costs one
// fsync per transaction, and the collector commits once per batch (thousands of records), so the
// cost is per batch, not per observation (measured in docs/benchmarks.md "Collector ingest").
// `busy_timeout` covers `portdrift token` writing the same file while the collector runs.
import { Database } from './sqlite-driver.js';
import { chmodSync, existsSync } from 'node:fs';
import { PortdriftError } from '../../shared/errors.js';
import { LATEST_SCHEMA, MIGRATIONS } from './migrations.js';

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

export function storeError(file: string, what: string, err: unknown): PortdriftError {
  if (err instanceof PortdriftError) return err;
  return new PortdriftError('PD_STORE', `${file}: ${what}: ${(err as Error).message}`, { cause: err });
}

/** The open database at the latest schema, or PD_STORE / PD_STORE_SCHEMA. */
export function openSqlite(file: string, options: SqliteStoreOptions): { db: Database; schemaVersion: number } {
  const created = file !== ':memory:' && !existsSync(file);
  let db: Database;
  try {
    db = new Database(file, { fileMustExist: options.mustExist ?? false });
    // Findings say where an estate is weak and tokens' hashes live here: a new store is the
    // owner's alone (SQLite gives the -wal and -shm files the database file's mode). An
    // existing file keeps the mode its owner chose.
    if (created) chmodSync(file, 0o600);
  } catch (err) {
    throw new PortdriftError('PD_STORE', `${file}: cannot open the store: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    // Checkpoint every ~40 MB of WAL instead of every 4 MB: ingest writes tens of MB a second,
    // and each checkpoint (with FULL, an fsync of the database) stalls the writer; measured
    // +35% rows/s. The WAL file is truncated back to 64 MB after a checkpoint.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('journal_size_limit = 67108864');
    db.pragma('foreign_keys = ON');
    return { db, schemaVersion: migrate(db, file) };
  } catch (err) {
    db.close();
    throw storeError(file, 'cannot prepare the store', err);
  }
}

/** Apply pending migrations; refuse a schema newer than this code knows. */
function migrate(db: Database, file: string): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  const current = row.v ?? 0;
  if (current > LATEST_SCHEMA) {
    throw new PortdriftError(
      'PD_STORE_SCHEMA',
      `${file}: the store has schema version ${current}, newer than this portdrift ` +
        `knows (${LATEST_SCHEMA}); upgrade portdrift or use another --data file`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    })();
  }
  return LATEST_SCHEMA;
}
