// The webhooks' hourly cap of replicas on PostgreSQL, on a real database and a real receiver on
// loopback: the alerts one leader holds back are in the database, so the next leader (a new
// dispatcher with nothing in memory, as a new process) counts on in the same window and sends
// their digest when it ends; an alert delivered again after a leader died is held once; a clean
// stop leaves the held alerts for the next leader instead of sending an early digest.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../../../collector/alerts/dispatcher.js';
import { AlertPump } from '../../../collector/alerts/outbox-pump.js';
import type { AlertEvent } from '../../../collector/alerts/payload.js';
import { webhookKey } from '../../../collector/alerts/shared-cap.js';
import { PostgresStore } from '../../../collector/store/postgres/store.js';
import type { EvaluationWrite } from '../../../collector/store/types.js';
import { silentLogger } from '../../../shared/log.js';
import { finding } from '../../fixtures/findings.js';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { sql } from './fleet.js';

const skip = pgSkipReason();
const T0 = Date.parse('2026-12-07T09:00:00.000Z');
const WINDOW = 60_000;

interface Hit {
  headers: IncomingHttpHeaders;
  body: {
    event: string;
    scope: string;
    finding?: { id: string };
    held?: number;
    events?: { finding: { id: string } }[];
  };
}

const ev = (n: number): AlertEvent => ({
  type: 'opened',
  finding: finding({ kind: 'moved', id: `f_${n}`, observedPort: 5400 + n }),
  at: new Date(T0 + n).toISOString(),
});

describe.skipIf(skip)(`the hourly digest across leaders${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let db: TestDatabase;
  let store: PostgresStore;
  let server: Server;
  let url: string;
  const hits: Hit[] = [];

  beforeAll(async () => {
    db = await freshDatabase();
    store = await PostgresStore.open(db.url, { poolSize: 4 });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-path`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await store?.close();
    await db?.drop();
  });

  /** A leader's dispatcher: nothing in memory, the cap in the database, the time `clock.t`. */
  const clock = { t: T0 };
  const leader = () =>
    new AlertDispatcher({
      webhooks: [{ url, format: 'json', maxPerHour: 1 }],
      scope: 'prod',
      log: silentLogger(),
      now: () => clock.t,
      windowMs: WINDOW,
      shared: store.alertCaps(),
    });

  it('a new leader counts on in the window and sends the digest of what the last one held back', async () => {
    const a = leader();
    for (const n of [1, 2, 3]) await a.deliverNow(ev(n), `id-${n}`);
    expect(hits.map((h) => h.body.finding?.id)).toEqual(['f_1']);
    // The leader stops (a clean stop, as in a rolling restart): no early digest, nothing lost.
    await a.stop();
    expect(hits).toHaveLength(1);
    // Held in the database under the URL's hash, not the URL.
    const held = await sql<{ webhook: string; delivery_id: string }>(
      db.url,
      'SELECT webhook, delivery_id FROM alert_held ORDER BY seq',
    );
    expect(held).toEqual([
      { webhook: webhookKey(url), delivery_id: 'id-2' },
      { webhook: webhookKey(url), delivery_id: 'id-3' },
    ]);

    // The next leader, half-way through the window: the window's one alert is spent, so this is held.
    const b = leader();
    clock.t = T0 + WINDOW / 2;
    await b.deliverNow(ev(4), 'id-4');
    // An alert the dead leader had held but not marked delivered comes again: held once.
    await b.deliverNow(ev(3), 'id-3');
    await b.sendDueDigests();
    expect(hits).toHaveLength(1);

    // The window ends: the digest holds the alerts of both leaders, in order, once.
    clock.t = T0 + WINDOW;
    await b.sendDueDigests();
    await b.sendDueDigests();
    expect(hits).toHaveLength(2);
    const digest = hits[1]!;
    expect(digest.headers['x-portdrift-event']).toBe('digest');
    expect(digest.body).toMatchObject({ event: 'digest', held: 3 });
    expect(digest.body.events!.map((e) => e.finding.id)).toEqual(['f_2', 'f_3', 'f_4']);
    expect(digest.headers['x-portdrift-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await sql(db.url, 'SELECT * FROM alert_held')).toEqual([]);

    // A new window: the next alert goes out at once.
    clock.t = T0 + WINDOW + 1;
    await b.deliverNow(ev(5), 'id-5');
    expect(hits.map((h) => h.body.finding?.id ?? h.body.event)).toEqual(['f_1', 'digest', 'f_5']);
    await b.stop();
  });

  it("through the outbox: the next leader's pump sends the digest of the alerts the last one held", async () => {
    hits.length = 0;
    const other = await PostgresStore.open(db.url, { poolSize: 4 });
    try {
      const at = new Date().toISOString();
      const write = (id: string): EvaluationWrite => {
        const f = { ...finding({ kind: 'moved', id, observedPort: 5433 }), lastSeen: at };
        const { kind, severity, resource, host, port } = f;
        return {
          at,
          upsert: [{ finding: f, status: 'open', present: 1, absent: 0, ack: null }],
          remove: [],
          history: [{ at, findingId: id, kind, severity, resource, host, port, event: 'opened', detail: null }],
          openCount: 1,
          revision: 'r1',
        };
      };
      // Two replicas, each with its outbox, its cap in the database and its pump; `a` leads first.
      let leading = 'a';
      const replica = (name: string, s: PostgresStore) => {
        const box = s.outbox(`replica_${name}`, { alerts: true });
        const dispatcher = new AlertDispatcher({
          webhooks: [{ url: `${url}/pump`, format: 'json', maxPerHour: 1 }],
          // The scope names the sender here (replicas share one in production).
          scope: `replica-${name}`,
          log: silentLogger(),
          windowMs: 1_500,
          shared: s.alertCaps(),
        });
        const pump = new AlertPump({
          queue: {
            claim: (n) => box.claimAlerts(n),
            renew: (id) => box.renew(id),
            done: async (id) => void (await box.markSent(id)),
          },
          dispatcher,
          isLeader: () => leading === name,
          log: silentLogger(),
          pollMs: 100,
        });
        return { dispatcher, pump };
      };
      const a = replica('a', store);
      const b = replica('b', other);
      for (const id of ['f_p1', 'f_p2', 'f_p3']) await store.applyEvaluation(write(id));
      await a.pump.pump();
      expect(hits.map((h) => h.body.finding?.id)).toEqual(['f_p1']);
      // a dies (nothing of it runs any more: its pump is stopped, its dispatcher never called); b leads.
      await a.pump.stop();
      leading = 'b';
      b.pump.start();
      const t0 = Date.now();
      while (hits.length < 2 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 50));
      await b.pump.stop();
      await b.dispatcher.stop();
      expect(hits.map((h) => `${h.body.event} ${h.body.scope}`)).toEqual([
        'finding.opened replica-a',
        'digest replica-b',
      ]);
      expect(hits[1]!.body.events!.map((e) => e.finding.id)).toEqual(['f_p2', 'f_p3']);
      await a.dispatcher.stop();
      expect(hits).toHaveLength(2);
    } finally {
      await other.close();
    }
  });

  it('a digest is cleared only once sent: a leader that dies before sends the same one again', async () => {
    const caps = store.alertCaps();
    const key = webhookKey('http://127.0.0.1:9/other');
    const o = { now: T0, max: 0, windowMs: WINDOW };
    expect(await caps.admit(key, ev(7), 'id-7', o)).toBe(false);
    expect(await caps.dueDigest(key, T0 + WINDOW - 1, WINDOW)).toBeNull();
    const first = await caps.dueDigest(key, T0 + WINDOW, WINDOW);
    const again = await caps.dueDigest(key, T0 + WINDOW + 5_000, WINDOW);
    expect(first!.digest.events).toEqual([ev(7)]);
    expect(again).toEqual(first);
    await caps.digestSent(key, first!.taken);
    expect(await caps.dueDigest(key, T0 + WINDOW + 5_000, WINDOW)).toBeNull();
  });
});
