// The store contract: what every Store implementation does, run against each one (SQLite always,
// PostgreSQL when a test database is given) from the contract.*.test.ts files. A test of store
// behaviour belongs here, written once; a test of one store's own mechanics (SQLite's file mode,
// its WAL, its migrations from old files) stays in that store's test file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedBatch, Store } from '../../../../collector/store/types.js';
import { PortdriftError } from '../../../../shared/errors.js';

export interface StoreHandle {
  store: Store;
  /** The token column as stored (to check that no secret is kept). */
  tokenHashes(): Promise<string[]>;
  /** Close the store and remove what the handle made (file, database). */
  dispose(): Promise<void>;
}

export type StoreFactory = (options?: { maxRowsPerAgent?: number }) => Promise<StoreHandle>;

const NOW = '2026-12-01T10:00:00.000Z';
const T0 = NOW;
const T1 = '2026-12-01T10:05:00.000Z';
const T2 = '2026-12-01T11:00:00.000Z';
const LATER = '2026-12-02T10:00:00.000Z';

export function batch(
  id: string,
  at: string,
  obs: Array<[string, number, 'open' | 'filtered']>,
  sweep?: { host: string; ip: string; ports: string; closed: string },
): ParsedBatch {
  return {
    header: {
      t: 'batch',
      v: 1,
      batchId: id,
      agent: 'a1',
      agentVersion: '0.1.0',
      planRevision: 'r1',
      startedAt: at,
      finishedAt: at,
      spoolDropped: 0,
      spoolDepth: 2,
    },
    sweeps: sweep ? [{ t: 'sweep', ...sweep, at }] : [],
    observations: obs.map(([ip, port, state]) => ({ t: 'obs', host: ip, ip, port, state, rttMs: 0.2, at })),
    listeners: [],
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PortdriftError);
    return (err as PortdriftError).code;
  }
  return 'resolved';
}

export function storeContract(name: string, factory: StoreFactory): void {
  let h: StoreHandle;
  let store: Store;
  let live = false;
  const dispose = async () => {
    if (live) await h.dispose();
    live = false;
  };
  const open = async (options?: { maxRowsPerAgent?: number }) => {
    await dispose();
    h = await factory(options);
    live = true;
    store = h.store;
  };
  beforeEach(() => open());
  afterEach(dispose);

  describe(`${name}: tokens`, () => {
    it('stores tokens hashed, authenticates them, and revokes them', async () => {
      const { token, record } = await store.createToken({ name: 'agent-1', role: 'agent', now: NOW });
      expect(token).toMatch(/^pdt_[A-Za-z0-9_-]{43}$/);
      const hashes = await h.tokenHashes();
      expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(hashes)).not.toContain(token.slice(4));
      expect((await store.authenticate(token, NOW))?.role).toBe('agent');
      expect(await store.authenticate(`${token}x`, NOW)).toBeNull();
      await store.revokeToken('agent-1', NOW);
      expect(await store.authenticate(token, NOW)).toBeNull();
      expect((await store.listTokens())[0]).toMatchObject({ id: record.id, revokedAt: NOW });
      await expect(store.revokeToken('agent-1', NOW)).rejects.toMatchObject({ code: 'PD_TOKEN' });
    });
  });

  describe(`${name}: ingest`, () => {
    it('accepts a batch key once: the repeat returns the first answer and stores nothing', async () => {
      const b = batch('b1', NOW, [['10.0.0.1', 22, 'open']]);
      const first = await store.ingestBatch(b, NOW);
      const again = await store.ingestBatch(b, '2026-12-01T10:05:00.000Z');
      expect(first.replayed).toBe(false);
      expect(again).toEqual({ answer: first.answer, replayed: true });
      const [agent] = await store.agents();
      expect(agent).toMatchObject({ name: 'a1', batches: 1, observations: 1, spoolDepth: 2, version: '0.1.0' });
    });

    it('adds up the spool drops each header reports (each says how many since the last one)', async () => {
      const withDrops = (id: string, dropped: number, depth: number) => {
        const b = batch(id, NOW, []);
        return { ...b, header: { ...b.header, spoolDropped: dropped, spoolDepth: depth } };
      };
      await store.ingestBatch(withDrops('d1', 5, 3), NOW);
      await store.ingestBatch(withDrops('d2', 0, 1), NOW);
      await store.ingestBatch(withDrops('d3', 2, 0), NOW);
      await store.ingestBatch(withDrops('d3', 2, 0), NOW); // a replay adds nothing
      expect((await store.agents())[0]).toMatchObject({ spoolDropped: 7, spoolDepth: 0 });
    });

    it('keeps the latest result per port: late batches do not overwrite, closed sweeps supersede', async () => {
      await store.ingestBatch(batch('new', '2026-12-01T10:10:00.000Z', [['10.0.0.1', 8080, 'open']]), NOW);
      await store.ingestBatch(batch('old', '2026-12-01T10:00:00.000Z', [['10.0.0.1', 8080, 'filtered']]), NOW);
      expect((await store.observations()).map((o) => o.state)).toEqual(['open']);
      await store.ingestBatch(
        batch('closed', '2026-12-01T10:20:00.000Z', [['10.0.0.1', 8081, 'open']], {
          host: '10.0.0.1',
          ip: '10.0.0.1',
          ports: '8000-8100',
          closed: '8000-8080,8082-8100',
        }),
        NOW,
      );
      expect((await store.observations()).map((o) => o.port)).toEqual([8081]);
      expect(await store.sweeps()).toEqual([
        expect.objectContaining({ host: '10.0.0.1', closed: '8000-8080,8082-8100' }),
      ]);
    });

    it('answers the latest time of a repeated result; older results and closed sweeps do not undo it', async () => {
      const at = (m: number) => `2026-12-01T10:${String(m).padStart(2, '0')}:00.000Z`;
      const sweep = (closed: string) => ({ host: '10.0.0.1', ip: '10.0.0.1', ports: '1-1000', closed });
      const steady: Array<[string, number, 'open' | 'filtered']> = [
        ['10.0.0.1', 22, 'open'],
        ['10.0.0.1', 80, 'open'],
        ['10.0.0.1', 443, 'filtered'],
      ];
      const seen = async () => (await store.observations()).map((o) => `${o.port} ${o.state} ${o.at}`);
      await store.ingestBatch(batch('s1', at(0), steady, sweep('1-21,23-79,81-442,444-1000')), NOW);
      await store.ingestBatch(batch('s2', at(5), steady, sweep('1-21,23-79,81-442,444-1000')), NOW);
      expect(await seen()).toEqual([`22 open ${at(5)}`, `80 open ${at(5)}`, `443 filtered ${at(5)}`]);
      // From the spool, late: a result older than the repeat, and a sweep older than it that found 22 closed.
      await store.ingestBatch(batch('late', at(3), [['10.0.0.1', 22, 'filtered']]), NOW);
      await store.ingestBatch(batch('late-closed', at(4), [], sweep('1-79,81-442,444-1000')), NOW);
      expect(await seen()).toEqual([`22 open ${at(5)}`, `80 open ${at(5)}`, `443 filtered ${at(5)}`]);
      // 80 changes, the others repeat; then a sweep finds 443 closed.
      const changed = steady.map(([ip, port, state]): [string, number, 'open' | 'filtered'] => [
        ip,
        port,
        port === 80 ? 'filtered' : state,
      ]);
      await store.ingestBatch(batch('s3', at(10), changed, sweep('1-21,23-79,81-442,444-1000')), NOW);
      await store.ingestBatch(batch('s4', at(15), changed.slice(0, 2), sweep('1-21,23-79,81-1000')), NOW);
      expect(await seen()).toEqual([`22 open ${at(15)}`, `80 filtered ${at(15)}`]);
      // A late result of the port the sweep deleted starts it afresh, at its own time.
      await store.ingestBatch(batch('late-443', at(12), [['10.0.0.1', 443, 'open']]), NOW);
      expect(await seen()).toEqual([`22 open ${at(15)}`, `80 filtered ${at(15)}`, `443 open ${at(12)}`]);
      // A new service name on a port of the same state is a change the store answers.
      const fp = batch('s5', at(20), [['10.0.0.1', 22, 'open']]);
      fp.observations[0]!.service = 'ssh';
      await store.ingestBatch(fp, NOW);
      const [ssh] = await store.observations(new Set(['10.0.0.1']));
      expect(ssh).toMatchObject({ port: 22, state: 'open', service: 'ssh', at: at(20) });
      const declared = new Map([['10.0.0.1', new Set([443])]]);
      expect((await store.driftObservations(declared)).map((o) => `${o.port} ${o.at}`).sort()).toEqual([
        `22 ${at(20)}`,
        `443 ${at(12)}`,
      ]);
    });

    it("keeps the latest of one port's results within a batch, in any order", async () => {
      const b = batch('dup', '2026-12-01T10:10:00.000Z', [
        ['10.0.0.2', 80, 'open'],
        ['10.0.0.1', 22, 'open'],
        ['10.0.0.2', 80, 'filtered'],
      ]);
      b.observations[2]!.at = '2026-12-01T10:05:00.000Z';
      await store.ingestBatch(b, NOW);
      expect((await store.observations()).map((o) => `${o.ip}:${o.port} ${o.state} ${o.at}`)).toEqual([
        '10.0.0.1:22 open 2026-12-01T10:10:00.000Z',
        '10.0.0.2:80 open 2026-12-01T10:10:00.000Z',
      ]);
    });

    it('returns open ports and every result of declared ports, not filtered undeclared ones', async () => {
      await store.ingestBatch(
        batch('b', NOW, [
          ['10.0.0.1', 22, 'open'],
          ['10.0.0.1', 5432, 'filtered'],
          ['10.0.0.1', 9999, 'filtered'],
          ['10.0.0.2', 80, 'open'],
        ]),
        NOW,
      );
      const got = await store.driftObservations(new Map([['10.0.0.1', new Set([5432])]]));
      expect(got.map((o) => `${o.ip}:${o.port}:${o.state}`).sort()).toEqual([
        '10.0.0.1:22:open',
        '10.0.0.1:5432:filtered',
      ]);
    });

    it(
      'replaces the listener view with each batch that carries ' +
        'one, and empties it with listenerView and no records',
      async () => {
        const b = batch('l1', NOW, []);
        await store.ingestBatch({ ...b, listeners: [{ t: 'listener', ip: '0.0.0.0', port: 22, at: NOW }] }, NOW);
        await store.ingestBatch(batch('l2', NOW, []), NOW); // listeners not read: view kept
        expect((await store.agents())[0]!.listeners).toBe(1);
        const e = batch('l3', NOW, []);
        await store.ingestBatch({ ...e, header: { ...e.header, listenerView: true } }, NOW);
        expect((await store.agents())[0]!.listeners).toBe(0);
      },
    );

    it(
      'counts rows again when an upper bound would pass ' + 'the cap: resent rows update, new rows are capped',
      async () => {
        await open({ maxRowsPerAgent: 1000 });
        const ports = (from: number, n: number) =>
          Array.from({ length: n }, (_, i): [string, number, 'open'] => ['10.0.0.1', from + i, 'open']);
        const a = await store.ingestBatch(batch('c1', NOW, ports(1, 600)), NOW);
        expect(a.answer).toMatchObject({ observations: 600, capped: 0 });
        const b = await store.ingestBatch(batch('c2', NOW, ports(1, 600)), NOW);
        expect(b.answer).toMatchObject({ observations: 600, capped: 0 });
        const c = await store.ingestBatch(batch('c3', NOW, ports(601, 600)), NOW);
        expect(c.answer).toMatchObject({ observations: 400, capped: 200 });
        expect(await store.observations()).toHaveLength(1000);
        // Another agent has its own cap.
        const other = batch('c4', NOW, ports(1, 10));
        other.header.agent = 'a2';
        expect((await store.ingestBatch(other, NOW)).answer).toMatchObject({ observations: 10, capped: 0 });
      },
    );
  });

  describe(`${name}: findings`, () => {
    it('writes evaluations and history in one transaction, and acknowledges', async () => {
      const finding = {
        id: 'f_1',
        kind: 'missing' as const,
        severity: 'high' as const,
        resource: 'r',
        source: null,
        host: 'h',
        port: 1,
        state: 'closed' as const,
        agent: 'a1',
        firstSeen: NOW,
        lastSeen: NOW,
        message: 'm',
        suggestion: 's',
        ack: null,
      };
      await store.applyEvaluation({
        at: NOW,
        upsert: [{ finding, status: 'open', present: 2, absent: 0, ack: null }],
        remove: [],
        history: [
          {
            at: NOW,
            findingId: 'f_1',
            kind: 'missing',
            severity: 'high',
            resource: 'r',
            host: 'h',
            port: 1,
            event: 'opened',
            detail: null,
          },
        ],
        openCount: 1,
        revision: 'x',
      });
      const ack = { by: 'ops', reason: 'planned', at: NOW, expiresAt: null };
      expect((await store.acknowledge('f_1', ack)).finding.ack).toEqual(ack);
      expect((await store.history({})).map((e) => e.event)).toEqual(['opened', 'acknowledged']);
      await expect(store.acknowledge('f_none', ack)).rejects.toMatchObject({ code: 'PD_FINDING_NOT_FOUND' });
      expect(await store.openSeries(null, 1000)).toEqual([{ at: NOW, open: 1 }]);
      // A resolved finding cannot be acknowledged: the ack would silence its next occurrence.
      await store.applyEvaluation({
        at: NOW,
        upsert: [
          { finding: { ...finding, id: 'f_2', resolvedAt: NOW }, status: 'resolved', present: 0, absent: 2, ack: null },
        ],
        remove: [],
        history: [],
        openCount: 1,
        revision: 'x',
      });
      await expect(store.acknowledge('f_2', ack)).rejects.toMatchObject({
        code: 'PD_FINDING_RESOLVED',
        message: 'finding f_2 is resolved: there is nothing to acknowledge (if it comes back it is reported anew)',
      });
      expect(await store.integrityCheck()).toBe('ok');
    });

    it('keeps the highest open count of each bucket of the series: a spike between quiet readings stays', async () => {
      const at = (t: string): string => `2026-12-01T${t}:00.000Z`;
      for (const [t, openCount] of [
        ['10:00', 2],
        ['10:20', 60],
        ['10:40', 2],
        ['11:10', 3],
        ['11:50', 1],
      ] as const) {
        await store.applyEvaluation({ at: at(t), upsert: [], remove: [], history: [], openCount, revision: 'x' });
      }
      expect(await store.openSeries(null, 3_600_000)).toEqual([
        { at: at('10:40'), open: 60 },
        { at: at('11:50'), open: 3 },
      ]);
      expect(await store.openSeries(at('10:30'), 3_600_000)).toEqual([
        { at: at('10:40'), open: 2 },
        { at: at('11:50'), open: 3 },
      ]);
    });
  });

  describe(`${name}: retention`, () => {
    it('prunes batch ids and series points older than the cut-off, nothing else', async () => {
      await store.ingestBatch(batch('old', NOW, [['10.0.0.1', 22, 'open']]), '2026-10-01T00:00:00.000Z');
      await store.ingestBatch(batch('new', NOW, [['10.0.0.2', 22, 'open']]), '2026-12-01T00:00:00.000Z');
      const cut = '2026-11-01T00:00:00.000Z';
      expect(await store.prune({ batchesBefore: cut, seriesBefore: cut })).toEqual({ batches: 1, series: 0, rows: 0 });
      expect([await store.hasBatch('a1', 'old'), await store.hasBatch('a1', 'new')]).toEqual([false, true]);
      expect(await store.observations()).toHaveLength(2);
    });

    it('prunes result rows last seen before the cut-off: a port a later batch repeated stays', async () => {
      const old = '2026-10-01T00:00:00.000Z';
      const ports: Array<[string, number, 'open']> = [
        ['10.0.0.1', 22, 'open'],
        ['10.0.0.1', 80, 'open'],
        ['10.0.0.2', 22, 'open'],
      ];
      await store.ingestBatch(batch('old', old, ports), old);
      await store.ingestBatch(batch('new', NOW, [['10.0.0.1', 22, 'open']]), NOW);
      const cut = '2026-11-01T00:00:00.000Z';
      expect(await store.prune({ batchesBefore: cut, seriesBefore: cut, rowsBefore: cut })).toEqual({
        batches: 1,
        series: 0,
        rows: 2,
      });
      expect((await store.observations()).map((o) => `${o.ip}:${o.port} ${o.at}`)).toEqual([`10.0.0.1:22 ${NOW}`]);
    });
  });

  describe(`${name}: enrollment`, () => {
    const secret = async (over: { expiresAt?: string; maxUses?: number } = {}) =>
      (await store.createToken({ name: 'fleet', role: 'enroll', now: T0, scope: ['10.0.0.0/8'], ...over })).token;
    const enroll = (s: string, agent: string, now = T0) =>
      store.enroll({ secret: s, name: agent, scope: ['10.1.0.0/16'], identity: { host: 'h' }, now });

    it('counts uses, refuses past --max-uses and --expires, and a taken name, storing nothing', async () => {
      const s = await secret({ maxUses: 2, expiresAt: T2 });
      const a = await enroll(s, 'a');
      expect(a.record).toMatchObject({ name: 'a', role: 'agent', scope: ['10.1.0.0/16'] });
      expect((await store.authenticate(a.key, T0))?.name).toBe('a');
      expect(await code(enroll(s, 'a'))).toBe('PD_AGENT_NAME_TAKEN');
      await enroll(s, 'b');
      expect(await code(enroll(s, 'c'))).toBe('PD_ENROLL_SECRET_EXHAUSTED');
      const s2 = await secret({ expiresAt: T2 });
      expect(await code(enroll(s2, 'c', T2))).toBe('PD_ENROLL_SECRET_EXPIRED');
      const tokens = await store.listTokens();
      expect(
        tokens
          .filter((t) => t.role === 'agent')
          .map((t) => t.name)
          .sort(),
      ).toEqual(['a', 'b']);
      expect(tokens.find((t) => t.role === 'enroll' && t.maxUses === 2)?.uses).toBe(2);
    });

    it('rotation: the old key gets a new one each time until the new one is used, then dies', async () => {
      const { key: old } = await enroll(await secret(), 'a');
      await store.rotateAgent('a', T0, T2);
      const first = (await store.authenticate(old, T0))!.newKey!;
      // The answer carrying `first` was lost: the old key asks again and gets another key.
      const second = (await store.authenticate(old, T0))!.newKey!;
      expect(second).toMatch(/^pdt_/);
      expect(second).not.toBe(first);
      expect(await store.authenticate(first, T0)).toBeNull();
      const used = await store.authenticate(second, T1);
      expect(used).toMatchObject({ name: 'a', role: 'agent', scope: ['10.1.0.0/16'] });
      expect(used!.newKey).toBeUndefined();
      expect(await store.authenticate(old, T1)).toBeNull();
      expect(await store.authenticate(second, T2)).not.toBeNull();
    });

    it('rotation: the new key keeps the scope, enroll secret and pod of the old and can be rotated again', async () => {
      const s = await secret();
      const pod = { name: 'agent-7f9c', namespace: 'portdrift' };
      const a = await store.enroll({
        secret: s,
        name: 'a',
        scope: ['10.1.0.0/16'],
        identity: { host: 'h', pod },
        now: T0,
      });
      await store.rotateAgent('a', T0, T2);
      const next = (await store.authenticate(a.key, T0))!.newKey!;
      const used = await store.authenticate(next, T1);
      expect(used).toMatchObject({ name: 'a', scope: ['10.1.0.0/16'], enrolledBy: a.record.enrolledBy });
      expect(a.record.enrolledBy).toMatch(/^tok_/);
      await store.notePlanServed('a', 60_000, T1);
      expect((await store.agents())[0]).toMatchObject({ name: 'a', pod, enrolledBy: a.record.enrolledBy });
      expect((await store.rotateAgent('a', T1, LATER)).map((t) => t.rotateBy)).toEqual([LATER]);
    });

    it('rotation: an old key not used before the grace ends is dead; the name is free again', async () => {
      const s = await secret();
      const { key } = await enroll(s, 'a');
      await store.rotateAgent('a', T0, T1);
      expect(await store.authenticate(key, T2)).toBeNull();
      expect((await enroll(s, 'a', LATER)).record.name).toBe('a');
    });

    it('revokeAgent revokes every live key of the name; rotate refuses a token made with token create', async () => {
      const { key } = await enroll(await secret(), 'a');
      expect((await store.revokeAgent('a', T1)).map((t) => t.revokedAt)).toEqual([T1]);
      expect(await store.authenticate(key, T1)).toBeNull();
      expect(await code(store.revokeAgent('a', T1))).toBe('PD_TOKEN');
      await store.createToken({ name: 'static', role: 'agent', now: T0, scope: ['10.0.0.0/8'] });
      expect(await code(store.rotateAgent('static', T0, T2))).toBe('PD_TOKEN');
    });

    it('an enroll secret authenticates as role enroll (routes refuse it); an agent key enrolls nothing', async () => {
      const s = await secret();
      expect((await store.authenticate(s, T0))?.role).toBe('enroll');
      const { key } = await enroll(s, 'a');
      expect(await code(store.enrollSecret(key, T0))).toBe('PD_ENROLL_SECRET_INVALID');
    });
  });
}
