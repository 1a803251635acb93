// Per test: a fresh database on the test cluster, PostgreSQL stores opened on it (closed after the
// test), and plain SQL beside them to look at or age what the stores wrote.
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import { PostgresStore } from '../../../../collector/store/postgres/store.js';
import { freshDatabase, type TestDatabase } from '../../../lab/pg.js';

export interface PgStores {
  /** This test's database. */
  db(): TestDatabase;
  /** A store on it with a pool of `poolSize`, closed after the test. */
  open(): Promise<PostgresStore>;
  /** One statement on its own connection; its rows. */
  sql(q: string): Promise<Array<Record<string, unknown>>>;
}

/** Call inside a describe: registers the per-test database and clean-up. */
export function usePgStores(poolSize: number): PgStores {
  let db: TestDatabase | undefined;
  const opened: PostgresStore[] = [];
  const current = (): TestDatabase => {
    if (!db) throw new Error('usePgStores: no database outside a test');
    return db;
  };
  beforeEach(async () => {
    db = await freshDatabase();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await db?.drop();
    db = undefined;
  });
  return {
    db: current,
    open: async () => {
      const s = await PostgresStore.open(current().url, { poolSize });
      opened.push(s);
      return s;
    },
    sql: async (q) => {
      const c = new pg.Client({ connectionString: current().url });
      await c.connect();
      try {
        return (await c.query(q)).rows;
      } finally {
        await c.end();
      }
    },
  };
}
