// `live: aws` on two collector replicas (processes of dist/cli/main.js) on one PostgreSQL
// database, against the AWS wire-protocol server of test/aws/server.ts: the account is read by
// one replica per refresh, not by each, and both serve plans with the hosts it gives. Each
// replica signs with its own access key id, so the server's requests say who read. The leader
// SIGKILLed, the other replica takes the lease and carries on refreshing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsServer, startAwsServer } from '../../aws/server.js';
import { shopWorld } from '../../fixtures/live/shop/world.js';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { killAll, requireBuild, ROOT } from '../agent/harness.js';
import { health, type Replica, sql, startReplica, token, until } from './fleet.js';

const skip = pgSkipReason();
const SHOP = join(ROOT, 'test', 'fixtures', 'live', 'shop');
const RDS = 'shop-orders.c9akciq32.eu-west-1.rds.amazonaws.com';
const KEY = { r1: 'AKIAREPLICA1EXAMPLE', r2: 'AKIAREPLICA2EXAMPLE' };

describe.skipIf(skip)(`the live inventory shared by replicas${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let db: TestDatabase;
  let dir: string;
  let server: AwsServer;
  const world = shopWorld();
  let agent: string;

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'pd-pglive-'));
    server = await startAwsServer(world);
    db = await freshDatabase();
    agent = await token(db.url, 'agent', 'a1');
  }, 60_000);

  afterAll(async () => {
    await killAll();
    await server?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Full reads of the account by the replica signing with `key`: one first page of DescribeInstances each. */
  const reads = (key: string) =>
    server.requests.filter((q) => q.action === 'DescribeInstances' && !q.params.NextToken && q.accessKeyId === key)
      .length;
  const hosts = async (r: Replica): Promise<string[]> => {
    const res = await fetch(`${r.url}/v1/plan`, { headers: { authorization: `Bearer ${agent}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { targets: { host: string }[] }).targets.map((t) => t.host).sort();
  };

  it('one replica reads the account per refresh; both plan with its hosts; the next leader carries on', async () => {
    const config = join(dir, 'collector.yaml');
    writeFileSync(
      config,
      [
        `iac: [${JSON.stringify(SHOP)}]`,
        'interval: 1s',
        'live: aws',
        'awsRegion: [eu-west-1]',
        'liveRefresh: 2s',
        '',
      ].join('\n'),
    );
    const env = (key: string) => ({
      HOME: dir,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: server.url,
      AWS_ACCESS_KEY_ID: key,
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    // r1 starts first on an empty database: it takes the lease and reads the account (a cold start).
    const r1 = await startReplica('collector r1', db.url, ['--config', config], [], env(KEY.r1));
    expect(reads(KEY.r1)).toBe(1);
    // r2 finds the inventory stored: it never calls AWS, and plans with the same hosts.
    const r2 = await startReplica('collector r2', db.url, ['--config', config], [], env(KEY.r2));
    expect(reads(KEY.r2)).toBe(0);
    expect(await hosts(r1)).toEqual(['10.0.1.10', RDS]);
    expect(await hosts(r2)).toEqual(['10.0.1.10', RDS]);
    expect([(await health(r1.url)).leader, (await health(r2.url)).leader]).toEqual([true, false]);

    // Five seconds of 2 s refreshes (checked on 1 s reloads): the leader reads twice, the follower never.
    const before = reads(KEY.r1);
    await new Promise((r) => setTimeout(r, 5_000));
    const refreshes = reads(KEY.r1) - before;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(3);
    expect(reads(KEY.r2)).toBe(0);

    // The instance is replaced: the leader's next refresh reaches both replicas' plans.
    world.instances[0]!.privateIp = '10.0.1.77';
    for (const r of [r1, r2]) {
      await until('the new instance IP in the plan', async () => (await hosts(r)).includes('10.0.1.77'), 10_000);
    }
    expect(await hosts(r2)).toEqual(['10.0.1.77', RDS]);
    expect(reads(KEY.r2)).toBe(0);
    const stored = await sql<{ read_by: string; objects: number }>(
      db.url,
      'SELECT read_by, objects FROM live_inventory',
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.read_by).toBe((await health(r1.url)).replica);

    // The leader dies. Its lease would lapse in 20 s; the test ends it at once instead, and r2
    // takes it on its next renewal (within 5 s) and refreshes from then on.
    r1.proc.kill();
    await r1.proc.exited;
    await sql(db.url, "UPDATE leases SET expires_at = now() - interval '1 second'");
    await until('r2 leading', async () => (await health(r2.url)).leader, 10_000);
    const took = reads(KEY.r2);
    world.instances[0]!.privateIp = '10.0.1.88';
    await until('the next instance IP in r2 plan', async () => (await hosts(r2)).includes('10.0.1.88'), 10_000);
    await until('a second refresh by r2', async () => reads(KEY.r2) - took >= 2, 8_000);
    const after = await sql<{ read_by: string }>(db.url, 'SELECT read_by FROM live_inventory');
    expect(after[0]!.read_by).toBe((await health(r2.url)).replica);
    console.log(
      `DescribeInstances reads: r1 ${reads(KEY.r1)} (1 at start, ${refreshes} in 5 s as leader), ` +
        `r2 0 while following, ${reads(KEY.r2)} after taking the lease`,
    );
  }, 90_000);
});
