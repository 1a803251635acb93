// The store contract (contract.ts) on a real SQLite file, a fresh one per test.
import { Database } from '../../../../collector/store/sqlite-driver.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { SqliteStore } from '../../../../collector/store/sqlite.js';
import { storeContract } from './contract.js';

describe('store contract: SQLite', () => {
  storeContract('sqlite', async (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-contract-'));
    const file = join(dir, 'pd.db');
    const store = new SqliteStore(file, options);
    return {
      store,
      tokenHashes: async () => {
        const raw = new Database(file, { readonly: true });
        try {
          return (raw.prepare('SELECT hash FROM tokens').all() as Array<{ hash: string }>).map((r) => r.hash);
        } finally {
          raw.close();
        }
      },
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
