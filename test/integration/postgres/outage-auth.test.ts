// Who may read /metrics while the database is down (collector/http/outage-auth.ts): a reader
// token this collector accepted within the last ten minutes, and no one else — not a token it
// never saw, not an agent token, not after the ten minutes, not on a route that does not answer
// during an outage, and not a token the database since said is revoked. A real PostgreSQL store
// on a private cluster, stopped for the outage.
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTAGE_READER_TTL_MS, RecentReaders } from '../../../collector/http/outage-auth.js';
import { PostgresStore } from '../../../collector/store/postgres/store.js';
import { type PgCluster, privateClusterSkipReason, startPrivateCluster } from '../../lab/pg-cluster.js';

const skip = privateClusterSkipReason();
if (skip && process.env.CI) throw new Error(`the outage test must run in CI, but ${skip}`);

describe.skipIf(skip)(`readers during a database outage${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cluster: PgCluster;
  let store: PostgresStore;
  beforeAll(async () => {
    cluster = await startPrivateCluster();
    store = await PostgresStore.open(cluster.url);
  }, 60_000);
  afterAll(async () => {
    await store?.close().catch(() => {});
    cluster?.destroy();
  });

  const req = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } }) as IncomingMessage;
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'let in',
      (err: { code?: string }) => err.code,
    );

  it('lets in only a reader seen in the last ten minutes, and only where the route allows it', async () => {
    let now = Date.parse('2026-12-07T03:00:00Z');
    const readers = new RecentReaders(() => now);
    const at = new Date(now).toISOString();
    const mk = async (name: string, role: 'reader' | 'agent') =>
      (await store.createToken({ name, role, now: at, ...(role === 'agent' ? { scope: ['127.0.0.0/8'] } : {}) })).token;
    const [seen, unseen, revoked, agent] = [
      await mk('prom', 'reader'),
      await mk('other', 'reader'),
      await mk('old', 'reader'),
      await mk('agent-1', 'agent'),
    ];
    const auth = (secret: string, access: 'reader' | 'agent' = 'reader', outage = true) =>
      code(readers.authorize(req(secret), access, store, at, outage));
    for (const s of [seen, revoked]) expect(await auth(s)).toBe('let in');
    expect(await auth(agent, 'agent')).toBe('let in');
    await store.revokeToken('old', at);
    expect(await auth(revoked)).toBe('PD_HTTP_UNAUTHORIZED');

    cluster.stop();
    try {
      expect(await auth(seen)).toBe('let in');
      expect(await auth(seen, 'reader', false)).toBe('PD_STORE_UNAVAILABLE');
      expect(await auth(unseen)).toBe('PD_STORE_UNAVAILABLE');
      expect(await auth(revoked)).toBe('PD_STORE_UNAVAILABLE');
      expect(await auth(agent, 'agent')).toBe('PD_STORE_UNAVAILABLE');
      now += OUTAGE_READER_TTL_MS + 1;
      expect(await auth(seen)).toBe('PD_STORE_UNAVAILABLE');
    } finally {
      cluster.start();
    }
    expect(await auth(seen)).toBe('let in');
  }, 60_000);
});
