// /metrics per replica: two collectors on one PostgreSQL database each say who they are
// (portdrift_collector_info, the id /healthz and the lease row name), which one leads
// (portdrift_collector_leader: exactly one 1) and that they reach the database.
import { hostname } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { get, startTestCollector, type TestCollector } from '../collector/harness.js';

const skip = pgSkipReason();

describe.skipIf(skip)(`metrics of each replica${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let db: TestDatabase;
  let one: TestCollector;
  let two: TestCollector;
  beforeAll(async () => {
    db = await freshDatabase();
    one = await startTestCollector({ data: db.url });
    two = await startTestCollector({ data: db.url }, one.dir);
  });
  afterAll(async () => {
    await two?.stop(true);
    await one?.stop();
    await db?.drop();
  });

  const scrape = async (c: TestCollector) => {
    const r = await get(c.url, '/metrics', one.tokens.reader);
    expect(r.status).toBe(200);
    const text = await r.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const info = /^portdrift_collector_info\{replica="([^"]+)",host="([^"]+)"\} 1$/m.exec(text);
    return { leader: value('portdrift_collector_leader'), up: value('portdrift_store_up'), info };
  };

  it('each names itself as /healthz and the lease do; one leads; both reach the database', async () => {
    const [m1, m2] = [await scrape(one), await scrape(two)];
    const [h1, h2] = await Promise.all([one, two].map(async (c) => (await fetch(`${c.url}/healthz`)).json()));
    expect(m1.info?.[1]).toBe(h1.replica);
    expect(m2.info?.[1]).toBe(h2.replica);
    expect(h1.replica).not.toBe(h2.replica);
    expect(m1.info?.[2]).toBe(hostname());
    expect([m1.leader, m2.leader]).toEqual([h1.leader ? 1 : 0, h2.leader ? 1 : 0]);
    expect(m1.leader + m2.leader).toBe(1);
    expect([m1.up, m2.up]).toEqual([1, 1]);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query("SELECT holder FROM leases WHERE name = 'leader'");
      expect(rows[0]?.holder).toBe(m1.leader === 1 ? h1.replica : h2.replica);
    } finally {
      await c.end();
    }
  });
});
