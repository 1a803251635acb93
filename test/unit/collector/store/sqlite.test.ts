// SQLite's own mechanics: its file, journal, mode and migrations from older files. What every
// store does (tokens, ingest, findings, retention) is in contract.ts, run by contract.sqlite.test.ts.
import { Database } from '../../../../collector/store/sqlite-driver.js';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../../collector/store/sqlite.js';
import { LATEST_SCHEMA, MIGRATIONS } from '../../../../collector/store/migrations.js';
import { batch } from './contract.js';

const NOW = '2026-12-01T10:00:00.000Z';

describe('SqliteStore', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pd-store-'));
    file = join(dir, 'pd.db');
    store = new SqliteStore(file);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the schema in WAL mode with full sync and records the version', () => {
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect((db.prepare('SELECT max(version) v FROM schema_version').get() as { v: number }).v).toBe(LATEST_SCHEMA);
    db.close();
    expect(store.schemaVersion).toBe(LATEST_SCHEMA);
  });

  it("creates the store readable by its owner only, and leaves an existing file's mode alone", async () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    await store.close();
    chmodSync(file, 0o640);
    store = new SqliteStore(file);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('reopens an existing file without migrating twice, and refuses a newer schema', async () => {
    await store.close();
    store = new SqliteStore(file);
    await store.close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(LATEST_SCHEMA + 1);
    db.close();
    expect(() => new SqliteStore(file)).toThrow(expect.objectContaining({ code: 'PD_STORE_SCHEMA' }));
    store = new SqliteStore(join(dir, 'other.db'));
  });
});

describe('SqliteStore migrations', () => {
  it('keeps the batch ids of a version-1 store, now per agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-migrate-'));
    const file = join(dir, 'pd.db');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    db.exec(MIGRATIONS[0]!.sql);
    db.prepare('INSERT INTO schema_version (version) VALUES (1)').run();
    const insert = db.prepare('INSERT INTO batches (batch_id, agent, received_at, answer) VALUES (?, ?, ?, ?)');
    insert.run('b1', 'a1', NOW, JSON.stringify({ batchId: 'b1', agent: 'a1' }));
    db.close();
    const store = new SqliteStore(file);
    try {
      expect([await store.hasBatch('a1', 'b1'), await store.hasBatch('a2', 'b1')]).toEqual([true, false]);
      expect((await store.ingestBatch(batch('b1', NOW, []), NOW)).replayed).toBe(true);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
