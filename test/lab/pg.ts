// A real PostgreSQL for the tests: the cluster PORTDRIFT_TEST_PG_URL names (.ci/run starts a
// throwaway one on loopback). Outside CI, without it, the PostgreSQL tests skip with that reason;
// in CI a missing cluster is a failure, so PostgreSQL can never turn into a silent skip there.
// Each test gets a database of its own, so files running in parallel never see each other.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function pgSkipReason(): string | false {
  if (process.env.PORTDRIFT_TEST_PG_URL) return false;
  const reason = 'PORTDRIFT_TEST_PG_URL is not set (a PostgreSQL database URL whose user may create databases)';
  if (process.env.CI) throw new Error(`the PostgreSQL tests must run in CI, but ${reason}`);
  return reason;
}

function adminUrl(): string {
  const url = process.env.PORTDRIFT_TEST_PG_URL;
  if (!url) throw new Error('PORTDRIFT_TEST_PG_URL is not set');
  return url;
}

/** The URL of `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Drop it (ending any session still on it). */
  drop(): Promise<void>;
}

/** A new empty database on the test cluster. */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `pd_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: withDatabase(adminUrl(), name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
