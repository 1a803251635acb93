// A replica killed mid-batch: the agent retries elsewhere, nothing lost, nothing twice. An agent
// posts through a round-robin load balancer (lb.ts) to three collector replicas (processes) on
// one PostgreSQL database. One replica is SIGKILLed with half a batch received (nothing of it
// committed), another after it committed a batch whose answer never reached the agent (the
// retry, answered by the third replica, must not store it again).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { killAll, requireBuild, type Proc } from '../agent/harness.js';
import { get } from '../collector/harness.js';
import { type Broken, type Lb, startLb } from './lb.js';
import { type Replica, sql, startAgent, startReplica, stopAgent, token, until, writeLoopbackIac } from './fleet.js';

const skip = pgSkipReason();

describe.skipIf(skip)(`a replica killed mid-batch${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let db: TestDatabase;
  let dir: string;
  let listener: Server;
  let lb: Lb;
  let reader: string;
  let agent: Proc;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'pd-pgfailover-'));
    listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const iac = writeLoopbackIac(dir, (listener.address() as { port: number }).port);
    db = await freshDatabase();
    const agentToken = await token(db.url, 'agent', 'a1');
    reader = await token(db.url, 'reader', 'ops');
    // At once: the schema is there (token create made it), and nothing depends on who leads.
    replicas.push(...(await Promise.all(['r1', 'r2', 'r3'].map((l) => startReplica(`collector ${l}`, db.url, iac)))));
    lb = await startLb(replicas.map((r) => ({ host: '127.0.0.1', port: Number(new URL(r.url).port) })));
    agent = startAgent('a1', lb.url, agentToken, join(dir, 'spool'));
  }, 60_000);

  afterAll(async () => {
    await killAll();
    await lb?.close();
    listener?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rows = async (key?: string) =>
    Number(
      (
        await sql<{ n: string }>(
          db.url,
          `SELECT count(*) AS n FROM batches WHERE agent = 'a1'${key ? ' AND batch_id = $1' : ''}`,
          key ? [key] : [],
        )
      )[0]!.n,
    );
  const broken = (how: 'half' | 'hold') =>
    new Promise<Broken>((resolve) => {
      lb.onBroken = resolve;
      lb.breakNext(how);
    });
  const replayed = async (r: Replica) => {
    const text = await (await get(r.url, '/metrics', reader)).text();
    return Number(/^portdrift_ingest_replayed_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
  };

  it('a batch cut short or unanswered by a killed replica is stored once, by the next one', async () => {
    await until('two batches', async () => (await rows()) >= 2, 20_000);

    // 1. Half a batch received, then the replica dies: nothing of it was committed.
    const half = await broken('half');
    replicas[half.backend]!.proc.kill();
    await until(`batch ${half.key} stored after the retry`, async () => (await rows(half.key)) === 1, 20_000);

    // 2. The whole batch received and committed, the answer lost with the replica.
    const hold = await broken('hold');
    await until(`batch ${hold.key} committed`, async () => (await rows(hold.key)) === 1, 10_000, 20);
    replicas[hold.backend]!.proc.kill();
    const last = replicas.find((_, i) => !lb.out.has(i))!;
    // The agent sends it again; the last replica finds its key and answers without storing it.
    await until('the retry answered as a replay', async () => (await replayed(last)) >= 1, 20_000);
    await until('two more batches', async () => (await rows()) >= 2 + 2 + 2, 20_000);

    const stats = await stopAgent(agent);
    expect(stats).toMatchObject({ spoolDepth: 0, rejected: 0, dropped: 0, flushed: true });
    expect(stats.delivered).toBe(stats.spooled);
    expect(await rows()).toBe(stats.spooled);
    expect(await rows(half.key)).toBe(1);
    expect(await rows(hold.key)).toBe(1);
    const counted = await sql<{ batches: string }>(db.url, "SELECT batches FROM agents WHERE name = 'a1'");
    expect(Number(counted[0]!.batches)).toBe(stats.spooled);
    // Two replicas died (SIGKILL), the third served the rest.
    expect(replicas.map((r) => r.proc.exit?.signal ?? null).sort()).toEqual(['SIGKILL', 'SIGKILL', null]);
    expect(last.proc.exit).toBeNull();
  }, 90_000);
});
