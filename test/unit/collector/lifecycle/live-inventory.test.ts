// When the collector reads AWS for `live: aws`, and which inventory its model is built with: a
// single collector on its own clock; replicas through a shelf (here an in-memory one on the
// test's clock, the database's stand-in; collector/store/postgres/inventory.ts is tested on a real
// PostgreSQL in test/unit/collector/store/pg-inventory.test.ts) where only the leader refreshes.
// The AWS read itself is a counting function (the SDK against the wire server is tested elsewhere).
import { describe, expect, it } from 'vitest';
import {
  type InventoryReader,
  type InventoryShelf,
  inventoryKey,
  LiveInventory,
  type LiveSource,
  type StoredInventory,
} from '../../../../collector/lifecycle/live-inventory.js';
import { silentLogger } from '../../../../shared/log.js';
import type { ConfiguredModel } from '../../../../shared/types.js';

const LIVE: LiveSource = { regions: ['eu-west-1'], refreshMs: 60_000 };

function inventory(ip: string): ConfiguredModel {
  return {
    provider: 'aws',
    regions: ['eu-west-1'],
    objects: [{ kind: 'instance', id: 'i-1', name: 'web', region: 'eu-west-1', tags: {}, address: ip }],
    problems: [],
  };
}
const ipOf = (m: ConfiguredModel) => m.objects[0]!.address;

/** A reader that answers `ip` (changeable) or fails while `fail` is set, counting its calls. */
function account(ip = '10.0.0.1') {
  const a = { ip, fail: false, calls: 0, read: (async () => undefined) as unknown as InventoryReader };
  a.read = async () => {
    a.calls++;
    if (a.fail) throw new Error('AWS unreachable');
    return inventory(a.ip);
  };
  return a;
}

/** The database's stand-in: ages in the test's clock, payloads counted. */
function shelf(now: () => number) {
  const rows = new Map<string, { stamp: string; at: number; inventory: ConfiguredModel }>();
  let n = 0;
  const s = {
    rows,
    payloads: 0,
    writes: 0,
    down: false,
    async read(key: string, known?: string): Promise<StoredInventory | null> {
      if (s.down) throw new Error('database unreachable');
      const r = rows.get(key);
      if (!r) return null;
      const out = { stamp: r.stamp, ageMs: now() - r.at };
      if (known === r.stamp) return out;
      s.payloads++;
      return { ...out, inventory: structuredClone(r.inventory) };
    },
    async write(key: string, inv: ConfiguredModel): Promise<string> {
      if (s.down) throw new Error('database unreachable');
      s.writes++;
      const stamp = `s${++n}`;
      rows.set(key, { stamp, at: now(), inventory: structuredClone(inv) });
      return stamp;
    },
  } satisfies InventoryShelf & Record<string, unknown>;
  return s;
}

function clock() {
  let t = Date.parse('2026-12-07T06:00:00.000Z');
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('live inventory of a single collector', () => {
  it('reads at start, again only once refreshMs has passed, and keeps the last one when a refresh fails', async () => {
    const c = clock();
    const aws = account();
    const inv = new LiveInventory(LIVE, silentLogger(), c.now, undefined, aws.read);
    expect(ipOf(await inv.current())).toBe('10.0.0.1');
    c.advance(59_999);
    aws.ip = '10.0.0.2';
    expect(ipOf(await inv.current())).toBe('10.0.0.1');
    expect(aws.calls).toBe(1);
    c.advance(1);
    expect(ipOf(await inv.current())).toBe('10.0.0.2');
    expect(aws.calls).toBe(2);
    c.advance(60_000);
    aws.fail = true;
    expect(ipOf(await inv.current())).toBe('10.0.0.2');
    // Still due: the next reload tries again.
    aws.fail = false;
    aws.ip = '10.0.0.3';
    expect(ipOf(await inv.current())).toBe('10.0.0.3');
    expect(aws.calls).toBe(4);
  });

  it('fails when the first read fails', async () => {
    const aws = account();
    aws.fail = true;
    const inv = new LiveInventory(LIVE, silentLogger(), clock().now, undefined, aws.read);
    await expect(inv.current()).rejects.toThrow('AWS unreachable');
  });
});

describe('live inventory shared by replicas', () => {
  it('a cold start reads once and stores it; a follower that finds it stored never calls AWS', async () => {
    const c = clock();
    const db = shelf(c.now);
    const aws = account();
    const a = new LiveInventory(LIVE, silentLogger(), c.now, { shelf: db, isLeader: () => false }, aws.read);
    expect(ipOf(await a.current())).toBe('10.0.0.1');
    expect([aws.calls, db.writes]).toEqual([1, 1]);
    const b = new LiveInventory(LIVE, silentLogger(), c.now, { shelf: db, isLeader: () => false }, aws.read);
    aws.ip = '10.9.9.9';
    c.advance(10 * LIVE.refreshMs);
    expect(ipOf(await b.current())).toBe('10.0.0.1');
    expect(ipOf(await a.current())).toBe('10.0.0.1');
    expect(aws.calls).toBe(1);
  });

  it('the leader refreshes once the stored one is due; the followers take it on their next reload', async () => {
    const c = clock();
    const db = shelf(c.now);
    const aws = account();
    let leader = 'a';
    const replica = (name: string) =>
      new LiveInventory(LIVE, silentLogger(), c.now, { shelf: db, isLeader: () => leader === name }, aws.read);
    const a = replica('a');
    const b = replica('b');
    await a.current();
    await b.current();
    expect([aws.calls, db.payloads]).toEqual([1, 1]);
    // Not due yet: nobody reads AWS, and the payload is not fetched again (its stamp is held).
    c.advance(30_000);
    aws.ip = '10.0.0.2';
    await a.current();
    await b.current();
    expect([aws.calls, db.payloads]).toEqual([1, 1]);
    // Due: the follower keeps serving the stored one and does not read; the leader reads and stores.
    c.advance(30_000);
    expect(ipOf(await b.current())).toBe('10.0.0.1');
    expect(aws.calls).toBe(1);
    expect(ipOf(await a.current())).toBe('10.0.0.2');
    expect([aws.calls, db.writes]).toEqual([2, 2]);
    expect(ipOf(await b.current())).toBe('10.0.0.2');
    expect(aws.calls).toBe(2);

    // A failed refresh keeps the stored one for everyone; the leader tries again on its next reload.
    c.advance(60_000);
    aws.ip = '10.0.0.3';
    aws.fail = true;
    expect(ipOf(await a.current())).toBe('10.0.0.2');
    expect(ipOf(await b.current())).toBe('10.0.0.2');
    expect([aws.calls, db.writes]).toEqual([3, 2]);
    aws.fail = false;

    // The leader changes (a died): b refreshes, in the database's measure of the stored one's age.
    leader = 'b';
    expect(ipOf(await b.current())).toBe('10.0.0.3');
    expect([aws.calls, db.writes]).toEqual([4, 3]);
    c.advance(59_000);
    await b.current();
    expect(aws.calls).toBe(4);
    c.advance(1_000);
    aws.ip = '10.0.0.4';
    expect(ipOf(await b.current())).toBe('10.0.0.4');
    expect(aws.calls).toBe(5);
  });

  it('a replica with other AWS settings does not take the stored inventory: it reads its own', async () => {
    const c = clock();
    const db = shelf(c.now);
    const aws = account();
    await new LiveInventory(LIVE, silentLogger(), c.now, { shelf: db, isLeader: () => true }, aws.read).current();
    const other = { ...LIVE, roleArn: 'arn:aws:iam::123456789012:role/other' };
    expect(inventoryKey(other)).not.toBe(inventoryKey(LIVE));
    aws.ip = '10.0.0.2';
    const b = new LiveInventory(other, silentLogger(), c.now, { shelf: db, isLeader: () => false }, aws.read);
    expect(ipOf(await b.current())).toBe('10.0.0.2');
    expect([aws.calls, db.rows.size]).toEqual([2, 2]);
  });

  it('keeps the inventory held while the database cannot be read; with none held the start fails', async () => {
    const c = clock();
    const db = shelf(c.now);
    const aws = account();
    const a = new LiveInventory(LIVE, silentLogger(), c.now, { shelf: db, isLeader: () => true }, aws.read);
    await a.current();
    db.down = true;
    c.advance(LIVE.refreshMs);
    expect(ipOf(await a.current())).toBe('10.0.0.1');
    expect(aws.calls).toBe(1);
    const b = new LiveInventory(LIVE, silentLogger(), c.now, { shelf: db, isLeader: () => false }, aws.read);
    await expect(b.current()).rejects.toThrow('database unreachable');
  });

  it('a failed first read stops the start when nothing is stored', async () => {
    const c = clock();
    const aws = account();
    aws.fail = true;
    const a = new LiveInventory(LIVE, silentLogger(), c.now, { shelf: shelf(c.now), isLeader: () => true }, aws.read);
    await expect(a.current()).rejects.toThrow('AWS unreachable');
  });
});
