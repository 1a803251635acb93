// Only the leader counts damping cycles: a replica whose database lease another holds does not
// open a finding on its interval ticks; once the lease is free it takes it and the finding opens.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { get, postBatch, startTestCollector, type TestCollector } from '../collector/harness.js';

const LOOP = '127.0.0.1';
const skip = pgSkipReason();

describe.skipIf(skip)(`the leader's interval tick${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let db: TestDatabase;
  let c: TestCollector;
  const sql = async (q: string) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(q);
    } finally {
      await client.end();
    }
  };
  beforeAll(async () => {
    db = await freshDatabase();
    // Another replica (not running here) holds the lease for an hour.
    const first = await startTestCollector({ data: db.url });
    await first.stop();
    await sql(
      "INSERT INTO leases (name, holder, expires_at) VALUES ('leader', 'replica_elsewhere', now() + interval '1 hour')",
    );
    // A 5 s lease: once free, it is taken within a renewal (1.25 s).
    c = await startTestCollector({ data: db.url, interval: '1s', cycles: 2, leaderLease: '5s' });
  });
  afterAll(async () => {
    await c?.stop();
    await db?.drop();
  });

  it('a follower does not tick; it ticks once it leads', async () => {
    // The agent keeps sweeping (results older than the freshness window, 3 s here, would not count).
    let n = 0;
    const sweep = () =>
      postBatch(c.url, c.tokens.agent, {
        id: `t${++n}`,
        sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' }],
        obs: [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' }],
      });
    await sweep();
    await c.running.collector.idle();
    const moved = async () =>
      (await (await get(c.url, '/v1/findings?kind=moved', c.tokens.reader)).json()).findings.length as number;
    const health = async () => (await (await fetch(`${c.url}/healthz`)).json()) as { leader: boolean };
    for (let i = 0; i < 7; i++) {
      await new Promise((r) => setTimeout(r, 500)); // three ticks of 1 s
      await sweep();
    }
    expect(await moved()).toBe(0);
    expect((await health()).leader).toBe(false);
    await sql("DELETE FROM leases WHERE holder = 'replica_elsewhere'");
    const t0 = Date.now();
    while ((await moved()) === 0 && Date.now() - t0 < 15_000) {
      await new Promise((r) => setTimeout(r, 300));
      await sweep();
    }
    expect(await moved()).toBe(1);
    expect((await health()).leader).toBe(true);
  });
});
