// The leader lease's length (`leaderLease`) sets every timing of leadership and outbox claims:
// the default keeps 20 s renewed every 5 s with 15 s claims, and with any length a dead leader's
// claims have lapsed by the time another replica leads, so the new leader sends at once.
import { describe, expect, it } from 'vitest';
import { leaseTimings } from '../../../../collector/store/postgres/lease.js';
import { PostgresStore } from '../../../../collector/store/postgres/store.js';
import { freshDatabase, pgSkipReason } from '../../../lab/pg.js';

describe('lease timings', () => {
  it('default: lease 20 s renewed every 5 s, claims 15 s renewed every 5 s', () => {
    expect(leaseTimings()).toEqual({ ttlMs: 20_000, renewMs: 5000, claimMs: 15_000, claimRenewMs: 5000 });
  });

  it('follow the lease: a claim is renewed thrice per claim length and lapses before the lease does', () => {
    for (const ttlMs of [3000, 5000, 20_000, 300_000]) {
      const t = leaseTimings(ttlMs);
      expect(t.renewMs).toBe(ttlMs / 4);
      expect(t.claimMs).toBe((ttlMs * 3) / 4);
      expect(t.claimRenewMs * 3).toBeLessThanOrEqual(t.claimMs);
      expect(t.claimMs).toBeLessThan(t.ttlMs);
    }
  });
});

const skip = pgSkipReason();

describe.skipIf(skip)(`a lease of its own length on PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const title =
    'a leader killed holding an outbox claim is replaced within 1.25 × the lease; its claim has lapsed by then';
  it(title, async () => {
    const db = await freshDatabase();
    const stores: PostgresStore[] = [];
    try {
      const t = leaseTimings(3000);
      const [a, b] = await Promise.all([0, 1].map(() => PostgresStore.open(db.url, { poolSize: 4 })));
      stores.push(a!, b!);
      const la = a!.lease({ ttlMs: t.ttlMs, renewMs: t.renewMs });
      await la.start();
      const lb = b!.lease({ ttlMs: t.ttlMs, renewMs: t.renewMs });
      await lb.start();
      expect([la.isLeader(), lb.isLeader()]).toEqual([true, false]);
      // The leader queues a report and claims it, then dies before sending it (its pool gone).
      const boxA = a!.outbox(la.holder, { alerts: false, claimMs: t.claimMs }).reports<{ n: number }>();
      const boxB = b!.outbox(lb.holder, { alerts: false, claimMs: t.claimMs }).reports<{ n: number }>();
      await boxA.queue({ n: 1 }, { since: null, at: new Date().toISOString() });
      expect((await boxA.claimDue(Date.now(), true)).due).toHaveLength(1);
      expect((await boxB.claimDue(Date.now(), true)).due, 'claimed by the leader').toHaveLength(0);
      await a!.close();
      const died = Date.now();
      // Polled in 50 ms steps, bounded; the bound on the takeover is checked below.
      for (let i = 0; i < 200 && !lb.isLeader(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(lb.isLeader()).toBe(true);
      // Within TTL + renew, with room for a slow machine (the claim itself is in the database's clock).
      expect(Date.now() - died).toBeLessThan(t.ttlMs + t.renewMs + 4000);
      // The new leader finds the dead leader's claim lapsed at once.
      expect((await boxB.claimDue(Date.now(), true)).due.map((e) => e.mail)).toEqual([{ n: 1 }]);
      await lb.stop();
      await la.stop();
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await db.drop();
    }
  });
});
