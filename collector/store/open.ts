// One way to open the store a `--data` value names, for the commands that work on it directly
// (`portdrift token`, `portdrift agents`, `portdrift store migrate`): a postgres:// or
// postgresql:// URL opens PostgreSQL, anything else is a SQLite file relative to the cwd.
import { resolve } from 'node:path';
import { isPostgresUrl } from './postgres/connect.js';
import { PostgresStore } from './postgres/store.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  cwd: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** SQLite: open an existing file only (a typo should not create a database). */
  mustExist?: boolean;
}

export async function openStore(data: string, o: OpenStoreOptions): Promise<Store> {
  if (isPostgresUrl(data)) return PostgresStore.open(data, { poolSize: 2, ...(o.env ? { env: o.env } : {}) });
  return new SqliteStore(resolve(o.cwd, data), { mustExist: o.mustExist ?? false });
}
