// PostgreSQL restarted (pg_ctl stop -m fast, then start) while agents post: the agents keep
// their batches in the spool and retry, the two collector replicas stay up (the same PIDs),
// say `"database": false` on /healthz during the outage and true after it, and once the
// database is back every batch is stored exactly once and the spools drain. A private cluster
// of the test's own (test/lab/pg-cluster.ts): the shared one is never stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, requireBuild, spooled, type Proc } from '../agent/harness.js';
import { get, postBatch } from '../collector/harness.js';
import { type PgCluster, privateClusterSkipReason, startPrivateCluster } from '../../lab/pg-cluster.js';
import {
  health,
  type Replica,
  sql,
  startAgent,
  startReplica,
  stopAgent,
  token,
  until,
  writeLoopbackIac,
} from './fleet.js';

const skip = privateClusterSkipReason();
if (skip && process.env.CI) throw new Error(`the PostgreSQL restart test must run in CI, but ${skip}`);

describe.skipIf(skip)(`PostgreSQL restarted while agents post${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cluster: PgCluster;
  let dir: string;
  let listener: Server;
  let tokens: string[] = [];
  let reader: string;
  const replicas: Replica[] = [];
  const agents: Array<{ name: string; proc: Proc; spool: string }> = [];

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'pd-pgrestart-'));
    listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const iac = writeLoopbackIac(dir, (listener.address() as { port: number }).port);
    cluster = await startPrivateCluster();
    // The first creates the schema; the others at once.
    reader = await token(cluster.url, 'reader', 'prometheus');
    tokens = await Promise.all(['a1', 'a2'].map((n) => token(cluster.url, 'agent', n)));
    replicas.push(
      ...(await Promise.all(
        ['r1', 'r2'].map((l) =>
          startReplica(`collector ${l}`, cluster.url, iac, ['--interval', '1s', '--leader-lease', '5s']),
        ),
      )),
    );
    ['a1', 'a2'].forEach((name, i) => {
      const spool = join(dir, `spool-${name}`);
      agents.push({ name, proc: startAgent(name, replicas[i]!.url, tokens[i]!, spool), spool });
    });
  }, 60_000);

  afterAll(async () => {
    // What the collectors said, when something failed.
    for (const r of replicas) if (r.proc.exit) console.error(`${r.proc.label} exited:`, r.proc.stderr.slice(-3000));
    await killAll();
    cluster?.destroy();
    listener?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (agent: string) =>
    Number(
      (await sql<{ n: string }>(cluster.url, 'SELECT count(*) AS n FROM batches WHERE agent = $1', [agent]))[0]!.n,
    );

  /** A scrape of /metrics: its status and portdrift_store_up. */
  const storeUp = async (r: Replica) => {
    const res = await get(r.url, '/metrics', reader);
    const text = await res.text();
    return { status: res.status, up: Number(/^portdrift_store_up (\d+)$/m.exec(text)?.[1] ?? Number.NaN) };
  };

  it('agents spool during the outage; after it every batch is stored once and no collector restarted', async () => {
    for (const a of agents) await until(`two batches of ${a.name}`, async () => (await stored(a.name)) >= 2, 20_000);
    const pids = replicas.map((r) => r.proc.pid);
    // Prometheus scrapes each replica (its token is checked in the database).
    for (const r of replicas) expect(await storeUp(r)).toEqual({ status: 200, up: 1 });

    cluster.stop();
    const down = await Promise.all(
      replicas.map((r) =>
        until('"database": false', async () => ((h) => !h.database && h)(await health(r.url)), 15_000),
      ),
    );
    // 503 takes the replica out of a load balancer; it is alive, only the database is not.
    for (const h of down) expect(h).toMatchObject({ httpStatus: 503, database: false });
    // A batch now is answered 503 + Retry-After (the agent keeps it and sends it again), not 500.
    const refused = await postBatch(replicas[0]!.url, tokens[0]!, { id: 'outage-1', agent: 'a1' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('PD_STORE_UNAVAILABLE');
    // The scrape still answers, and says the database is out of reach.
    for (const r of replicas) expect(await storeUp(r)).toEqual({ status: 200, up: 0 });
    // The agents keep sweeping into their spools meanwhile.
    for (const a of agents) {
      await until(`${a.name}'s spool to hold batches`, async () => spooled(a.spool).length >= 3, 15_000);
    }

    cluster.start();
    for (const r of replicas) {
      const up = await until('"database": true', async () => ((h) => h.database && h)(await health(r.url)), 20_000);
      expect(up).toMatchObject({ httpStatus: 200, status: 'ok' });
      expect(await storeUp(r)).toEqual({ status: 200, up: 1 });
    }
    for (const a of agents) {
      await until(`${a.name}'s spool to drain`, async () => spooled(a.spool).length === 0, 30_000);
    }
    // A replica leads again once the database answers (the 5 s lease is tried every 1.25 s).
    await until(
      'a leader',
      async () => (await Promise.all(replicas.map((r) => health(r.url)))).some((h) => h.leader),
      15_000,
    );

    const stats = [];
    for (const a of agents) stats.push(await stopAgent(a.proc));
    for (const [i, a] of agents.entries()) {
      const s = stats[i]!;
      expect(s, a.name).toMatchObject({ spoolDepth: 0, rejected: 0, dropped: 0, flushed: true });
      expect(s.delivered, a.name).toBe(s.spooled);
      // Each batch once: one idempotency row per batch, and the agent's batch counter agrees.
      expect(await stored(a.name), a.name).toBe(s.spooled);
      const row = await sql<{ batches: string }>(cluster.url, 'SELECT batches FROM agents WHERE name = $1', [a.name]);
      expect(Number(row[0]!.batches), a.name).toBe(s.spooled);
    }
    // The listener stayed open: one transition (first seen open) per agent, none repeated.
    const transitions = await sql<{ agent: string; n: string }>(
      cluster.url,
      'SELECT agent, count(*) AS n FROM transitions GROUP BY agent ORDER BY agent',
    );
    expect(transitions.map((t) => [t.agent, Number(t.n)])).toEqual([
      ['a1', 1],
      ['a2', 1],
    ]);
    // The same processes, still serving.
    expect(replicas.map((r) => r.proc.exit)).toEqual([null, null]);
    expect(replicas.map((r) => r.proc.pid)).toEqual(pids);
  }, 120_000);
});
