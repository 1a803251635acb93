// The store contract (contract.ts) on a real PostgreSQL: a fresh database per test on the
// cluster PORTDRIFT_TEST_PG_URL names (.ci/run starts one; outside CI, without it, a skip).
import pg from 'pg';
import { describe } from 'vitest';
import { PostgresStore } from '../../../../collector/store/postgres/store.js';
import { freshDatabase, pgSkipReason } from '../../../lab/pg.js';
import { storeContract } from './contract.js';

const skip = pgSkipReason();

describe.skipIf(skip)(`store contract: PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  storeContract('postgres', async (options) => {
    const db = await freshDatabase();
    const store = await PostgresStore.open(db.url, { ...options, poolSize: 4 });
    return {
      store,
      tokenHashes: async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          return (await c.query('SELECT hash FROM tokens')).rows.map((r) => r.hash as string);
        } finally {
          await c.end();
        }
      },
      dispose: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});
