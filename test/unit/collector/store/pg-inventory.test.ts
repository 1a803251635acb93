// The live inventory the replicas share on PostgreSQL (collector/store/postgres/inventory.ts), on
// a real database: what one replica stores another reads, the payload only when it does not hold
// that read yet, ages in the database's clock, one row per set of AWS settings.
import { describe, expect, it } from 'vitest';
import type { ConfiguredModel, LiveObject } from '../../../../shared/types.js';
import { pgSkipReason } from '../../../lab/pg.js';
import { usePgStores } from './pg-stores.js';

const skip = pgSkipReason();

function inventory(n: number, ip = '10.0.0.1'): ConfiguredModel {
  const objects: LiveObject[] = Array.from({ length: n }, (_, i) => ({
    kind: 'instance',
    id: `i-${i.toString(16).padStart(17, '0')}`,
    name: `web-${i}`,
    region: 'eu-west-1',
    tags: { Name: `web-${i}`, team: 'shop', env: 'prod' },
    address: i === 0 ? ip : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    privateIps: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    securityGroups: ['sg-0web0000000000001', 'sg-0ops0000000000002'],
  }));
  return { provider: 'aws', regions: ['eu-west-1'], objects, problems: [] };
}

describe.skipIf(skip)(`the shared live inventory on PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const { open, sql } = usePgStores(2);

  it("stores one replica's read for the others: the payload once per read, ages in the database's clock", async () => {
    const [a, b] = [(await open()).inventory('replica_a'), (await open()).inventory('replica_b')];
    expect(await b.read('k')).toBeNull();
    const stamp = await a.write('k', inventory(3));
    const got = await b.read('k');
    expect(got).toMatchObject({ stamp, inventory: inventory(3) });
    expect(got!.ageMs).toBeGreaterThanOrEqual(0);
    expect(got!.ageMs).toBeLessThan(5_000);
    await new Promise((r) => setTimeout(r, 120));
    const again = await b.read('k', stamp);
    expect(again).toEqual({ stamp, ageMs: expect.any(Number) });
    expect(again!.ageMs).toBeGreaterThanOrEqual(100);
    // A new read: a new stamp, and the holder of the old one gets the payload.
    const next = await a.write('k', inventory(3, '10.0.0.9'));
    expect(next).not.toBe(stamp);
    expect((await b.read('k', stamp))!.inventory!.objects[0]!.address).toBe('10.0.0.9');
    expect(await sql('SELECT name, read_by, objects FROM live_inventory')).toEqual([
      { name: 'k', read_by: 'replica_a', objects: 3 },
    ]);
  });

  it('keeps a row per set of settings, drops those unused a week, rereads a payload that does not parse', async () => {
    const s = (await open()).inventory('replica_a');
    await s.write('old', inventory(1));
    await s.write('other', inventory(1));
    await sql("UPDATE live_inventory SET read_at = now() - interval '8 days' WHERE name = 'old'");
    await s.write('k', inventory(2));
    expect((await sql('SELECT name FROM live_inventory ORDER BY name')).map((r) => r.name)).toEqual(['k', 'other']);
    await sql("UPDATE live_inventory SET payload = '{\"provider\":' WHERE name = 'other'");
    expect(await s.read('other')).toBeNull();
  });

  it('stores and reads an inventory of 7,500 objects', async () => {
    const [a, b] = [(await open()).inventory('replica_a'), (await open()).inventory('replica_b')];
    const big = inventory(7_500);
    const bytes = JSON.stringify(big).length;
    expect(bytes).toBeGreaterThan(1_500_000);
    const t0 = performance.now();
    const stamp = await a.write('k', big);
    const t1 = performance.now();
    const got = await b.read('k');
    const t2 = performance.now();
    const unchanged = await b.read('k', stamp);
    const t3 = performance.now();
    expect(got!.inventory!.objects.length).toBe(7_500);
    expect(unchanged!.inventory).toBeUndefined();
    const stored = await sql("SELECT pg_column_size(payload) AS size FROM live_inventory WHERE name = 'k'");
    console.log(
      `inventory of 7,500 objects: ${bytes} bytes of JSON, ${stored[0]!.size} stored; ` +
        `write ${(t1 - t0).toFixed(0)} ms, read ${(t2 - t1).toFixed(0)} ms, stamp check ${(t3 - t2).toFixed(1)} ms`,
    );
  });
});
