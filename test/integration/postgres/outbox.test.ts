// The outbox table of the PostgreSQL store, with two holders on one real database as two replicas
// would be: a report period is queued once; a claimed row is no other holder's until its claim
// lapses; a failed row waits for its backoff; a transition two replicas write is queued once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgOutbox } from '../../../collector/store/postgres/outbox.js';
import { PostgresStore } from '../../../collector/store/postgres/store.js';
import type { EvaluationWrite, StoredFinding } from '../../../collector/store/types.js';
import type { Finding } from '../../../shared/types.js';
import { moved } from '../../fixtures/findings.js';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';

const skip = pgSkipReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mail = (id: string) => ({ subject: 'report', headers: { 'Message-ID': id } });

function write(event: 'opened' | 'resolved', at: string, f: Finding = moved): EvaluationWrite {
  const status = event === 'resolved' ? 'resolved' : 'open';
  const stored: StoredFinding = { finding: { ...f, lastSeen: at }, status, present: 1, absent: 0, ack: null };
  const { kind, severity, resource, host, port } = f;
  const history = [{ at, findingId: f.id, kind, severity, resource, host, port, event, detail: null }];
  return { at, upsert: [stored], remove: [], history, openCount: status === 'open' ? 1 : 0, revision: 'r1' };
}

describe.skipIf(skip)(`the PostgreSQL outbox${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let db: TestDatabase;
  let one: PostgresStore;
  let two: PostgresStore;
  let a: PgOutbox;
  let b: PgOutbox;
  beforeAll(async () => {
    db = await freshDatabase();
    one = await PostgresStore.open(db.url);
    two = await PostgresStore.open(db.url);
    a = one.outbox('replica_a', { alerts: true, claimMs: 1500 });
    b = two.outbox('replica_b', { alerts: true, claimMs: 1500 });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  it('queues a report period once, whoever makes it from the same state', async () => {
    const ra = a.reports<ReturnType<typeof mail>>();
    const rb = b.reports<ReturnType<typeof mail>>();
    expect(await ra.readState()).toEqual({ lastReportAt: null });
    const at = '2026-12-07T08:00:00.000Z';
    const [x, y] = await Promise.all([
      ra.queue(mail('<p1@example.com>'), { since: null, at }),
      rb.queue(mail('<p1@example.com>'), { since: null, at: '2026-12-07T08:00:01.000Z' }),
    ]);
    expect([x, y].filter(Boolean)).toHaveLength(1);
    // The state moved once, to the time of the one that queued.
    expect((await rb.readState()).lastReportAt).toBe(x ? at : '2026-12-07T08:00:01.000Z');
    // A replica that read the state before it moved makes nothing.
    expect(await rb.queue(mail('<p1-again@example.com>'), { since: null, at })).toBeNull();
  });

  it('a claimed report is no other holder’s until its claim lapses; the late sender learns it', async () => {
    const ra = a.reports<ReturnType<typeof mail>>();
    const rb = b.reports<ReturnType<typeof mail>>();
    const [mine, theirs] = await Promise.all([ra.claimDue(0, false), rb.claimDue(0, false)]);
    expect(mine.due.length + theirs.due.length).toBe(1);
    const [holder, other] = mine.due.length === 1 ? [ra, rb] : [rb, ra];
    const entry = (mine.due[0] ?? theirs.due[0])!;
    expect((await other.claimDue(0, false)).due).toEqual([]);
    await holder.renew!(entry);
    await sleep(1000);
    expect((await other.claimDue(0, false)).due).toEqual([]); // renewed: still held
    await sleep(1700); // the holder "died": no renewal, the claim lapses
    const again = await other.claimDue(0, false);
    expect(again.due.map((e) => e.id)).toEqual([entry.id]);
    expect(await other.sent(again.due[0]!)).toBe(true);
    // The first holder's send finished late: it is told the claim had passed.
    expect(await holder.sent(entry)).toBe(false);
    expect(await holder.pending(entry.id)).toBeNull();
  });

  it('a failed report waits for its backoff (unless forced), then is claimed again', async () => {
    const ra = a.reports<ReturnType<typeof mail>>();
    const state = await ra.readState();
    const e = (await ra.queue(mail('<p2@example.com>'), { since: state.lastReportAt, at: new Date().toISOString() }))!;
    const claimed = (await ra.claimDue(0, false)).due;
    expect(claimed.map((x) => x.id)).toEqual([e.id]);
    await ra.failed({ ...claimed[0]!, attempts: 1, lastError: '451 try later' }, 60_000);
    expect(await ra.claimDue(0, false)).toEqual({ due: [], waiting: 1 });
    const forced = await ra.claimDue(0, true);
    expect(forced.due.map((x) => [x.id, x.attempts, x.lastError])).toEqual([[e.id, 1, '451 try later']]);
    expect(await ra.sent(forced.due[0]!)).toBe(true);
  });

  it('a transition written by two replicas is queued and in the history once; the next one too', async () => {
    // Both replicas judged the finding opened, from the same earlier state, a moment apart.
    await Promise.all([
      one.applyEvaluation(write('opened', '2026-12-07T09:00:00.000Z')),
      two.applyEvaluation(write('opened', '2026-12-07T09:00:00.250Z')),
    ]);
    const opened = await a.claimAlerts(10);
    expect(opened.map((r) => [r.event.type, r.event.finding.id])).toEqual([['opened', moved.id]]);
    expect(await b.claimAlerts(10)).toEqual([]); // claimed by a
    await a.markSent(opened[0]!.id);
    await two.applyEvaluation(write('resolved', '2026-12-07T09:05:00.000Z'));
    await one.applyEvaluation(write('resolved', '2026-12-07T09:05:00.100Z'));
    const resolved = await b.claimAlerts(10);
    expect(resolved.map((r) => r.event.type)).toEqual(['resolved']);
    // The delivery id is derived from the transition: the same whichever replica delivers it.
    expect(resolved[0]!.deliveryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(resolved[0]!.deliveryId).not.toBe(opened[0]!.deliveryId);
    // The history says each change once, too (the second replica's copy found it written).
    const events = (await one.history({ findingId: moved.id })).map((h) => h.event);
    expect(events.sort()).toEqual(['opened', 'resolved']);
  });
});
