// PostgreSQL store mechanics beyond the contract: connection settings as libpq users expect,
// migrations once when replicas start together, one idempotency key across replicas, and a
// write volume that follows the change rate (current state plus transitions).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { poolConfig, redactUrl } from '../../../../collector/store/postgres/connect.js';
import { PG_MIGRATIONS } from '../../../../collector/store/postgres/schema.js';
import { PostgresStore } from '../../../../collector/store/postgres/store.js';
import { pgSkipReason } from '../../../lab/pg.js';
import { batch } from './contract.js';
import { usePgStores } from './pg-stores.js';

const NOW = '2026-12-01T10:00:00.000Z';

describe('PostgreSQL connection settings', () => {
  it('takes the password from the URL, else PGPASSWORD, and never shows it', () => {
    const url = 'postgres://pd:s3cret@127.0.0.1:5432/portdrift?sslmode=disable';
    expect(redactUrl(url)).toBe('postgres://pd:***@127.0.0.1:5432/portdrift?sslmode=disable');
    expect(poolConfig(url).config).toMatchObject({
      user: 'pd',
      password: 's3cret',
      host: '127.0.0.1',
      port: 5432,
      database: 'portdrift',
      ssl: false,
    });
    const env = { PGPASSWORD: 'fromenv' };
    expect(poolConfig('postgresql://pd@127.0.0.1/portdrift?sslmode=disable', { env }).config.password).toBe('fromenv');
    // No password anywhere: pg reads the password file (~/.pgpass, PGPASSFILE) when asked for one.
    expect(poolConfig('postgres://pd@127.0.0.1/portdrift?sslmode=disable').config.password).toBeUndefined();
    try {
      poolConfig('postgres://pd:s3cret@127.0.0.1/x?sslmode=sometimes');
      throw new Error('expected a refusal');
    } catch (err) {
      expect((err as Error).message).toContain('sslmode=sometimes');
      expect((err as Error).message).not.toContain('s3cret');
    }
  });

  it('reads sslmode as libpq does: require encrypts without checking, verify-full checks, prefer may fall back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-pgssl-'));
    try {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const at = (q: string, env = {}) => poolConfig(`postgres://pd@db.internal/x?${q}`, { env });
      expect(at('sslmode=require').config.ssl).toMatchObject({ rejectUnauthorized: false });
      expect(at('sslmode=verify-full').config.ssl).toEqual({});
      const verifyCa = at(`sslmode=verify-ca&sslrootcert=${ca}`).config.ssl as {
        ca: string;
        checkServerIdentity: unknown;
      };
      expect(verifyCa.ca).toContain('BEGIN CERTIFICATE');
      expect(typeof verifyCa.checkServerIdentity).toBe('function');
      expect(() => at('sslmode=verify-ca')).toThrow(/sslrootcert/);
      expect(at('').fallback).toBe(true);
      expect(at('sslmode=require').fallback).toBe(false);
      expect(at('', { PGSSLMODE: 'disable' }).config.ssl).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const skip = pgSkipReason();

describe.skipIf(skip)(`PostgreSQL store${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const { open, sql, db } = usePgStores(4);

  it('migrates once when three replicas open a new database together, and refuses a newer schema', async () => {
    const stores = await Promise.all([open(), open(), open()]);
    const latest = PG_MIGRATIONS.at(-1)!.version;
    expect(stores.map((s) => s.schemaVersion)).toEqual([latest, latest, latest]);
    // Each migration recorded once, though three replicas ran at once.
    const versions = PG_MIGRATIONS.map((m) => ({ version: m.version }));
    expect(await sql('SELECT version FROM schema_version ORDER BY version')).toEqual(versions);
    await sql('INSERT INTO schema_version (version) VALUES (99)');
    await expect(PostgresStore.open(db().url)).rejects.toMatchObject({ code: 'PD_STORE_SCHEMA' });
  });

  it('accepts a batch once when two replicas receive it at the same time', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const body = batch(
      'same',
      NOW,
      Array.from({ length: 500 }, (_, i): [string, number, 'open'] => ['10.0.0.1', 1 + i, 'open']),
    );
    const results = await Promise.all([a.ingestBatch(body, NOW), b.ingestBatch(body, NOW)]);
    expect(results.map((r) => r.replayed).sort()).toEqual([false, true]);
    expect(results[0]!.answer).toEqual(results[1]!.answer);
    expect((await a.agents())[0]).toMatchObject({ batches: 1, observations: 500 });
  });

  it('writes a transition per change only: a repeated result leaves its row as it was', async () => {
    const s = await open();
    const ports = (state: 'open' | 'filtered', changed: number) =>
      Array.from({ length: 100 }, (_, i): [string, number, 'open' | 'filtered'] => [
        '10.0.0.1',
        1 + i,
        i < changed ? state : 'open',
      ]);
    await s.ingestBatch(batch('c1', '2026-12-01T10:00:00.000Z', ports('open', 0)), NOW);
    await s.ingestBatch(batch('c2', '2026-12-01T10:05:00.000Z', ports('open', 0)), NOW);
    await s.ingestBatch(batch('c3', '2026-12-01T10:10:00.000Z', ports('filtered', 3)), NOW);
    const counts = await sql(
      'SELECT count(*)::int AS n, count(*) FILTER (WHERE from_state IS NOT NULL)::int AS changed FROM transitions',
    );
    expect(counts).toEqual([{ n: 103, changed: 3 }]);
    // The row of a repeated port keeps the time it was first seen; its generation says it was seen since.
    const rows = await sql('SELECT port, state, at, since FROM current_state WHERE port IN (1, 50) ORDER BY port');
    expect(rows).toEqual([
      { port: 1, state: 'filtered', at: '2026-12-01T10:10:00.000Z', since: '2026-12-01T10:10:00.000Z' },
      { port: 50, state: 'open', at: '2026-12-01T10:00:00.000Z', since: '2026-12-01T10:00:00.000Z' },
    ]);
    expect(await sql('SELECT at, ports::text FROM seen')).toEqual([
      { at: '2026-12-01T10:10:00.000Z', ports: '{[4,101)}' },
    ]);
    const answered = (await s.observations()).filter((o) => o.port === 1 || o.port === 50);
    expect(answered.map((o) => `${o.port} ${o.state} ${o.at}`)).toEqual([
      '1 filtered 2026-12-01T10:10:00.000Z',
      '50 open 2026-12-01T10:10:00.000Z',
    ]);
    // A sweep that finds a port closed ends its row with a transition to closed.
    await s.ingestBatch(
      batch('c4', '2026-12-01T10:15:00.000Z', [], { host: '10.0.0.1', ip: '10.0.0.1', ports: '1-100', closed: '100' }),
      NOW,
    );
    expect(await sql('SELECT from_state, to_state FROM transitions WHERE port = 100 ORDER BY seq')).toEqual([
      { from_state: null, to_state: 'open' },
      { from_state: 'open', to_state: 'closed' },
    ]);
    // Transitions go with the series' retention.
    const pruned = await s.prune({ batchesBefore: NOW, seriesBefore: '2026-12-01T10:12:00.000Z' });
    expect(pruned.rows).toBe(0);
    expect(await sql('SELECT count(*)::int AS n FROM transitions')).toEqual([{ n: 1 }]);
  });

  it('a steady batch writes no row version of the current state, and transitions only for its changes', async () => {
    const s = await open();
    // 4 addresses × 500 ports (every tenth open), each with its sweep, in two batches per cycle as
    // an agent sends them; then the same results again with 1 % of them changed.
    const cycle = (id: string, at: string, change: (port: number) => boolean) =>
      [0, 1].map((part) => {
        const obs: Array<[string, number, 'open' | 'filtered']> = [];
        for (const a of [1, 2].map((k) => k + 2 * part))
          for (let p = 1; p <= 500; p++) {
            const base = p % 10 === 0 ? 'open' : 'filtered';
            obs.push([`10.0.0.${a}`, p, change(p) !== (base === 'open') ? 'open' : 'filtered']);
          }
        const b = batch(`${id}-${part}`, at, obs);
        b.sweeps = [1, 2].map((k) => {
          const ip = `10.0.0.${k + 2 * part}`;
          return { t: 'sweep' as const, host: ip, ip, ports: '1-1000', closed: '501-1000', at };
        });
        return b;
      });
    const ingest = async (bs: ReturnType<typeof cycle>) => {
      for (const b of bs) await s.ingestBatch(b, NOW);
    };
    const versions = async () =>
      new Map(
        (await sql('SELECT host, port, ctid::text AS ctid, xmin::text AS xmin FROM current_state')).map((r) => [
          `${r.host}:${r.port}`,
          `${r.ctid}/${r.xmin}`,
        ]),
      );
    const transitions = async () => (await sql('SELECT count(*)::int AS n FROM transitions'))[0]!.n as number;
    await ingest(cycle('load', '2026-12-01T10:00:00.000Z', () => false));
    await ingest(cycle('c1', '2026-12-01T10:05:00.000Z', () => false));
    const before = await versions();
    const t0 = await transitions();
    expect(before.size).toBe(2000);
    await ingest(cycle('c2', '2026-12-01T10:10:00.000Z', (p) => p % 100 === 7));
    const after = await versions();
    const moved = [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
    // 5 ports of 500 changed on each of the 4 addresses: those rows only.
    expect(moved.sort()).toEqual(
      [1, 2, 3, 4].flatMap((a) => [7, 107, 207, 307, 407].map((p) => `10.0.0.${a}:${p}`)).sort(),
    );
    expect((await transitions()) - t0).toBe(20);
    // One generation per address, the old ones gone; every port answered at the new time.
    expect(await sql('SELECT host, at, ports::text AS ports FROM seen ORDER BY host')).toEqual(
      [1, 2, 3, 4].map((a) => ({
        host: `10.0.0.${a}`,
        at: '2026-12-01T10:10:00.000Z',
        ports: '{[1,7),[8,107),[108,207),[208,307),[308,407),[408,501)}',
      })),
    );
    const obs = await s.observations();
    expect(obs).toHaveLength(2000);
    expect(new Set(obs.map((o) => o.at))).toEqual(new Set(['2026-12-01T10:10:00.000Z']));
    expect(obs.filter((o) => o.state === 'open')).toHaveLength(4 * 55);
  });

  it('an address split over two batches of one sweep keeps one generation and rewrites no row', async () => {
    const s = await open();
    const half = (id: string, at: string, from: number) =>
      batch(
        id,
        at,
        Array.from({ length: 250 }, (_, i): [string, number, 'filtered'] => ['10.0.0.9', from + i, 'filtered']),
      );
    const sweep = async (id: string, at: string) => {
      await s.ingestBatch(half(`${id}a`, at, 1), NOW);
      await s.ingestBatch(half(`${id}b`, at, 251), NOW);
    };
    await sweep('t0', '2026-12-01T10:00:00.000Z');
    await sweep('t1', '2026-12-01T10:05:00.000Z');
    const before = JSON.stringify(await sql('SELECT ctid::text, xmin::text FROM current_state ORDER BY port'));
    await sweep('t2', '2026-12-01T10:10:00.000Z');
    expect(JSON.stringify(await sql('SELECT ctid::text, xmin::text FROM current_state ORDER BY port'))).toBe(before);
    expect(await sql('SELECT at, ports::text AS ports FROM seen')).toEqual([
      { at: '2026-12-01T10:10:00.000Z', ports: '{[1,501)}' },
    ]);
    const obs = await s.observations();
    expect(obs).toHaveLength(500);
    expect(new Set(obs.map((o) => o.at))).toEqual(new Set(['2026-12-01T10:10:00.000Z']));
  });

  it(
    'leader lease: one leader of two; a dead leader is ' + 'replaced once its lease runs out; a clean stop hands over',
    async () => {
      const timing = { ttlMs: 800, renewMs: 150 };
      const [a, b, c] = await Promise.all([open(), open(), open()]);
      const la = a.lease(timing);
      await la.start();
      const lb = b.lease(timing);
      await lb.start();
      expect([la.isLeader(), lb.isLeader()]).toEqual([true, false]);
      // A dies: its pool is gone, its row stays until it expires.
      await a.close();
      const died = Date.now();
      await new Promise((r) => setTimeout(r, 150));
      expect(la.isLeader()).toBe(true); // it does not know yet; it lets go before the row expires
      for (let i = 0; i < 40 && !lb.isLeader(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(lb.isLeader()).toBe(true);
      expect(la.isLeader()).toBe(false);
      expect(Date.now() - died).toBeLessThan(timing.ttlMs + timing.renewMs + 500);
      const lc = c.lease(timing);
      await lc.start();
      expect(lc.isLeader()).toBe(false);
      await lb.stop();
      for (let i = 0; i < 10 && !lc.isLeader(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(lc.isLeader()).toBe(true);
      await lc.stop();
      await la.stop();
    },
  );

  it('names the database without its password when it cannot connect', async () => {
    const u = new URL(db().url);
    u.password = 'hunter2';
    u.port = '1';
    await expect(PostgresStore.open(u.toString())).rejects.toSatisfy(
      (err: Error) =>
        (err as { code?: string }).code === 'PD_STORE' &&
        err.message.includes(':***@') &&
        !err.message.includes('hunter2'),
    );
  });
});
