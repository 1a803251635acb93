// Two collector replicas on one PostgreSQL database: an agent posts to replica 1, and
// `portdrift drift` against replica 2 sees the same findings, with tokens made on either; one of
// them leads (/healthz).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { run } from '../cli/run.js';
import { postBatch, startTestCollector, type TestCollector } from '../collector/harness.js';

const LOOP = '127.0.0.1';
const moved = (id: string) => ({
  id,
  sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' }],
  obs: [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' as const }],
});
const skip = pgSkipReason();

describe.skipIf(skip)(`two collector replicas on PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let db: TestDatabase;
  let one: TestCollector;
  let two: TestCollector;
  let cwd: string;
  beforeAll(async () => {
    db = await freshDatabase();
    one = await startTestCollector({ data: db.url, cycles: 2 });
    two = await startTestCollector({ data: db.url, cycles: 2 }, one.dir);
    cwd = mkdtempSync(join(tmpdir(), 'pd-replicas-'));
  });
  afterAll(async () => {
    await two?.stop(true);
    await one?.stop();
    await db?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  const drift = async (c: TestCollector, token: string) => {
    const r = await run(['drift', '--format', 'json', '--collector', c.url], cwd, { PORTDRIFT_TOKEN: token });
    return { code: r.code, findings: (JSON.parse(r.out) as { findings: Array<Record<string, unknown>> }).findings };
  };

  it('an agent posting to replica 1 and drift against replica 2 see the same findings', async () => {
    expect((await postBatch(one.url, one.tokens.agent, moved('m1'))).status).toBe(200);
    await one.running.collector.idle();
    for (let i = 0; i < 2; i++) await one.running.collector.evaluateNow();
    const seen1 = await drift(one, one.tokens.reader);
    // Replica 2 received nothing: what it answers comes from the database. A token made on
    // replica 1 works on replica 2.
    const seen2 = await drift(two, one.tokens.reader);
    expect(seen2.code).toBe(2);
    expect(seen2.findings.map((f) => f.kind)).toContain('moved');
    expect(seen2.findings).toEqual(seen1.findings);
    // The same batch retried to replica 2 (a timeout at the load balancer) is stored once.
    const retry = await postBatch(two.url, one.tokens.agent, moved('m1'));
    expect(retry.status).toBe(200);
    const agents = await run(['agents', '--format', 'json', '--collector', two.url], cwd, {
      PORTDRIFT_TOKEN: two.tokens.reader,
    });
    expect((JSON.parse(agents.out) as { agents: Array<{ name: string; batches: number }> }).agents).toContainEqual(
      expect.objectContaining({ name: 'agent-1', batches: 1 }),
    );
  });

  it('/healthz says which replica leads (one of the two) and that both reach the database', async () => {
    const health = await Promise.all([one, two].map(async (c) => (await fetch(`${c.url}/healthz`)).json()));
    expect(health.map((h) => h.database)).toEqual([true, true]);
    expect(health.map((h) => h.leader).sort()).toEqual([false, true]);
    expect(health[0]).toMatchObject({ status: 'ok', leader: true });
  });
});
