// Collector replicas (`node dist/cli/main.js collector --data postgres://…`) sharing one database
// and its outbox, with real SMTP and HTTP receivers on loopback that hold their answer while the
// test SIGKILLs the leader in the middle of a send:
// - a report due is sent once for its period: the leader is killed while the relay holds its DATA
//   answer, another replica takes the lease and sends it again with the same Message-ID, and the
//   relay accepts exactly one message for the period;
// - one webhook per finding transition: both replicas ingest the same change at once and one
//   alert goes out; the leader is killed while the receiver holds its answer, and the next leader
//   delivers that transition once, with the same delivery id.
import type { ParsedMail } from 'mailparser';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../collector/store/postgres/store.js';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { BUILT, type Child, spawnCollector } from '../collector/child.js';
import { type BatchSpec, postBatch, writeIac } from '../collector/harness.js';
import { type Sink, startSink } from '../report/smtp-sink.js';

const LOOP = '127.0.0.1';
const pgSkip = pgSkipReason();
const skip = pgSkip || (!BUILT && 'dist/ is not built (npm run build)');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(250);
  }
}

const isLeader = async (c: Child): Promise<boolean> => {
  try {
    return ((await (await fetch(`${c.url}/healthz`)).json()) as { leader: boolean }).leader;
  } catch {
    return false;
  }
};

interface Replicas {
  dir: string;
  db: TestDatabase;
  children: Child[];
  agentToken: string;
  sql<R extends pg.QueryResultRow>(q: string, args?: unknown[]): Promise<R[]>;
  leader(): Promise<Child>;
  kill(c: Child): Promise<void>;
  close(): Promise<void>;
}

/** `n` replicas on a fresh database, configured by `yaml` (the IaC and store lines are added). */
async function replicas(n: number, yaml: string, seed?: (s: PostgresStore) => Promise<void>): Promise<Replicas> {
  const db = await freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'pd-outbox-'));
  writeIac(dir);
  // The schema, an agent's token and whatever the case needs, written before any replica runs.
  const store = await PostgresStore.open(db.url);
  const agentToken = (await store.createToken({ name: 'agent-1', role: 'agent', now: new Date().toISOString() })).token;
  await seed?.(store);
  await store.close();
  writeFileSync(
    join(dir, 'collector.yaml'),
    `iac: [main.tf]\ntargets: targets.yaml\ndata: ${db.url}\ndebounce: 10ms\ncycles: 1\ninterval: 1h\n` +
      // A 5 s lease: a killed leader is replaced within 6.25 s, its claims (3.75 s) lapsed by then.
      `leaderLease: 5s\n${yaml}`,
  );
  const children: Child[] = [];
  // One after the other: the first takes the lease, so which one leads is known at once.
  for (let i = 0; i < n; i++) children.push(await spawnCollector(['--config', 'collector.yaml'], dir));
  await until('a leader', 10_000, async () => (await Promise.all(children.map(isLeader))).includes(true));
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  return {
    dir,
    db,
    children,
    agentToken,
    sql: async (q, args) => (await client.query(q, args)).rows,
    async leader() {
      return until('one leader', 40_000, async () => {
        const live = children.filter((c) => c.proc.exitCode === null && c.proc.signalCode === null);
        const leads = await Promise.all(live.map(isLeader));
        return leads.filter(Boolean).length === 1 ? live[leads.indexOf(true)] : undefined;
      });
    },
    async kill(c) {
      c.proc.kill('SIGKILL');
      await c.exited;
    },
    async close() {
      for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exited));
      await client.end();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const suite = `outbox of collector replicas on PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`;
// The two cases share nothing (each its own database, replicas and receiver): they run at once.
describe.skipIf(skip)(suite, { concurrent: true }, () => {
  const started: Replicas[] = [];
  const track = (r: Replicas) => (started.push(r), r);
  afterAll(async () => {
    await Promise.all(started.map((r) => r.close()));
  });

  describe('a report due when the leader is killed mid-send', () => {
    let sink: Sink;
    let release: () => void = () => {};
    let arrived: (m: ParsedMail) => void = () => {};
    const firstArrived = new Promise<ParsedMail>((res) => (arrived = res));
    beforeAll(async () => {
      // The first DATA of the run is held until the test lets it go (after killing its sender).
      sink = await startSink({
        hold: (m, i) => {
          if (i > 0) return Promise.resolve();
          arrived(m);
          return new Promise<void>((res) => (release = res));
        },
      });
    });
    afterAll(async () => {
      release();
      await sink.close();
    });

    it('another replica takes over and exactly one report for the period is accepted, Message-ID kept', async () => {
      // The last report was made 61 minutes ago with `reportEvery: 1h`: the next is due now (and
      // the one after it an hour later, long after this test).
      const lastReportAt = new Date(Date.now() - 61 * 60_000).toISOString();
      const r = track(
        await replicas(
          3,
          `smtp: smtp://${LOOP}:${sink.port}?starttls=off\nreportTo: [ops@example.com]\n` +
            'reportFrom: portdrift@example.com\nreportEvery: 1h\nreportScope: failover\n',
          (s) => s.setMeta('report.lastReportAt', lastReportAt),
        ),
      );
      const leader = await r.leader();
      const held = await Promise.race([firstArrived, sleep(20_000).then(() => null)]);
      expect(held, 'the leader sends the report that is due').not.toBeNull();
      // The relay has the whole message and has not answered: the sender dies now.
      await r.kill(leader);
      await until('the relay sees the sender hang up', 5000, async () => sink.dropped.length === 1);
      release();
      const t0 = Date.now();
      const next = await r.leader();
      expect(next).not.toBe(leader);
      await until('the report accepted', 45_000, async () => sink.messages.length >= 1);
      const takeoverMs = Date.now() - t0;
      // Two more polls of every replica: nothing else is sent for the period.
      await sleep(12_000);
      expect(sink.dropped.map((m) => m.messageId)).toEqual([held!.messageId]);
      expect(sink.messages.map((m) => m.messageId)).toEqual([held!.messageId]);
      expect(sink.messages[0]!.subject).toBe(held!.subject);
      const rows = await r.sql<{ kind: string; sent: boolean; key: string }>(
        'SELECT kind, sent_at IS NOT NULL AS sent, key FROM outbox',
      );
      expect(rows).toEqual([{ kind: 'report', sent: true, key: held!.messageId }]);
      // The report covers the period that began at the seeded time (the Message-ID names its start).
      expect(held!.messageId).toContain(lastReportAt.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, ''));
      // The lease and a quarter (6.25 s) plus a report poll (5 s), with room for a busy machine.
      expect(takeoverMs).toBeLessThan(30_000);
    }, 120_000);
  });

  describe('webhook alerts, one per finding transition', () => {
    interface Hit {
      headers: IncomingHttpHeaders;
      body: { event: string; finding: { id: string; kind: string } };
      answered: boolean;
      /** The sender's connection closed (before an answer when it was killed). */
      closed: boolean;
    }
    let hook: Server;
    let hookUrl = '';
    const hits: Hit[] = [];
    let holdNext = false;
    let release: () => void = () => {};
    let holding: (h: Hit) => void = () => {};
    beforeAll(async () => {
      hook = createServer((req, res) => {
        let text = '';
        req.on('data', (d) => (text += d));
        req.on('end', () => {
          const hit: Hit = { headers: req.headers, body: JSON.parse(text), answered: false, closed: false };
          req.socket.once('close', () => (hit.closed = true));
          hits.push(hit);
          const answer = () => {
            if (hit.closed) return; // the sender hung up: never answered
            hit.answered = true;
            res.writeHead(204).end();
          };
          if (!holdNext) return answer();
          holdNext = false;
          holding(hit);
          new Promise<void>((res) => (release = res)).then(answer);
        });
      });
      await new Promise<void>((res) => hook.listen(0, LOOP, () => res()));
      hookUrl = `http://${LOOP}:${(hook.address() as AddressInfo).port}/hook`;
    });
    afterAll(async () => {
      release();
      hook.closeAllConnections();
      await new Promise((res) => hook.close(res));
    });

    const sweep = (id: string, open: number): BatchSpec => ({
      id,
      sweeps: [
        {
          host: LOOP,
          ip: LOOP,
          ports: '5422-5442',
          closed: open === 5433 ? '5422-5432,5434-5442' : '5422-5431,5433-5442',
          confirmed: true,
        },
      ],
      obs: [{ host: LOOP, ip: LOOP, port: open, state: 'open' }],
    });
    const answered = (event: string) => hits.filter((h) => h.answered && h.body.event === event);

    const title =
      'the same change ingested by two replicas at once makes one webhook; ' +
      'a leader killed mid-delivery is replaced and the alert sent once';
    it(title, async () => {
      const r = track(await replicas(2, `webhooks:\n  - url: ${hookUrl}\n    format: json\n`));
      const [a, b] = r.children as [Child, Child];
      // The port moved (5432 → 5433), seen in a confirmed sweep by both replicas at once.
      const posted = await Promise.all([
        postBatch(a.url, r.agentToken, sweep('m-a', 5433)),
        postBatch(b.url, r.agentToken, sweep('m-b', 5433)),
      ]);
      expect(posted.map((p) => p.status)).toEqual([200, 200]);
      await until('finding.opened delivered', 20_000, async () => answered('finding.opened').length >= 1);
      await sleep(3000);
      expect(answered('finding.opened')).toHaveLength(1);
      expect(hits.filter((h) => h.body.event === 'finding.opened')).toHaveLength(1);
      expect(answered('finding.opened')[0]!.body.finding.kind).toBe('moved');

      // The port comes back; the leader ingests it and is killed while the receiver holds its answer.
      const leader = await r.leader();
      const other = leader === a ? b : a;
      holdNext = true;
      const held = new Promise<Hit>((res) => (holding = res));
      expect((await postBatch(leader.url, r.agentToken, sweep('r-1', 5432))).status).toBe(200);
      const first = await Promise.race([held, sleep(20_000).then(() => null)]);
      expect(first?.body.event).toBe('finding.resolved');
      // The delivery outlasts its claim (3/4 of the lease: 3.75 s): renewed every 1.25 s meanwhile, it holds.
      await sleep(4500);
      const claims = await r.sql<{ held: boolean }>(
        "SELECT claimed_until > now() AS held FROM outbox WHERE kind = 'webhook' AND sent_at IS NULL",
      );
      expect(claims).toEqual([{ held: true }]);
      await r.kill(leader);
      await until('the receiver sees the sender hang up', 5000, async () => first!.closed);
      release();
      expect(await r.leader()).toBe(other);
      await until(
        'finding.resolved delivered by the new leader',
        45_000,
        async () => answered('finding.resolved').length >= 1,
      );
      await sleep(3000);
      const resolved = hits.filter((h) => h.body.event === 'finding.resolved');
      // The killed leader's attempt was never answered; the new leader's is the one delivery.
      expect(resolved.map((h) => h.answered)).toEqual([false, true]);
      expect(resolved[1]!.headers['x-portdrift-delivery']).toBe(resolved[0]!.headers['x-portdrift-delivery']);
      expect(answered('finding.resolved')).toHaveLength(1);
      expect(answered('finding.opened')).toHaveLength(1);
      const rows = await r.sql<{ n: number }>(
        "SELECT count(*)::int AS n FROM outbox WHERE kind = 'webhook' AND sent_at IS NOT NULL",
      );
      expect(rows[0]!.n).toBe(2);
    }, 120_000);
  });
});
