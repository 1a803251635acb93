import Database from 'better-sqlite3';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../../collector/store/sqlite.js';
import type { ParsedBatch } from '../../../../collector/store/types.js';
import { LATEST_SCHEMA, MIGRATIONS } from '../../../../collector/store/migrations.js';

const NOW = '2026-12-01T10:00:00.000Z';

function batch(id: string, at: string, obs: Array<[string, number, 'open' | 'filtered']>, sweep?: { host: string; ip: string; ports: string; closed: string }): ParsedBatch {
  return {
    header: { t: 'batch', v: 1, batchId: id, agent: 'a1', agentVersion: '0.1.0', planRevision: 'r1', startedAt: at, finishedAt: at, spoolDropped: 0, spoolDepth: 2 },
    sweeps: sweep ? [{ t: 'sweep', ...sweep, at }] : [],
    observations: obs.map(([ip, port, state]) => ({ t: 'obs', host: ip, ip, port, state, rttMs: 0.2, at })),
    listeners: [],
  };
}

describe('SqliteStore', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pd-store-'));
    file = join(dir, 'pd.db');
    store = new SqliteStore(file);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the schema in WAL mode with full sync and records the version', () => {
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect((db.prepare('SELECT max(version) v FROM schema_version').get() as { v: number }).v).toBe(LATEST_SCHEMA);
    db.close();
    expect(store.schemaVersion).toBe(LATEST_SCHEMA);
  });

  it("creates the store readable by its owner only, and leaves an existing file's mode alone", async () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    await store.close();
    chmodSync(file, 0o640);
    store = new SqliteStore(file);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('reopens an existing file without migrating twice, and refuses a newer schema', async () => {
    await store.close();
    store = new SqliteStore(file);
    await store.close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(LATEST_SCHEMA + 1);
    db.close();
    expect(() => new SqliteStore(file)).toThrow(expect.objectContaining({ code: 'PD_STORE_SCHEMA' }));
    store = new SqliteStore(join(dir, 'other.db'));
  });

  it('stores tokens hashed, authenticates them, and revokes them', async () => {
    const { token, record } = await store.createToken({ name: 'agent-1', role: 'agent', now: NOW });
    expect(token).toMatch(/^pdt_[A-Za-z0-9_-]{43}$/);
    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare('SELECT hash FROM tokens').all() as Array<{ hash: string }>;
    raw.close();
    expect(rows[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token.slice(4));
    expect((await store.authenticate(token, NOW))?.role).toBe('agent');
    expect(await store.authenticate(`${token}x`, NOW)).toBeNull();
    await store.revokeToken('agent-1', NOW);
    expect(await store.authenticate(token, NOW)).toBeNull();
    expect((await store.listTokens())[0]).toMatchObject({ id: record.id, revokedAt: NOW });
    await expect(store.revokeToken('agent-1', NOW)).rejects.toMatchObject({ code: 'PD_TOKEN' });
  });

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
    await store.ingestBatch(batch('closed', '2026-12-01T10:20:00.000Z', [['10.0.0.1', 8081, 'open']], { host: '10.0.0.1', ip: '10.0.0.1', ports: '8000-8100', closed: '8000-8080,8082-8100' }), NOW);
    expect((await store.observations()).map((o) => o.port)).toEqual([8081]);
    expect(await store.sweeps()).toEqual([expect.objectContaining({ host: '10.0.0.1', closed: '8000-8080,8082-8100' })]);
  });

  it('writes evaluations and history in one transaction, and acknowledges', async () => {
    const finding = { id: 'f_1', kind: 'missing' as const, severity: 'high' as const, resource: 'r', source: null, host: 'h', port: 1, state: 'closed' as const, agent: 'a1', firstSeen: NOW, lastSeen: NOW, message: 'm', suggestion: 's', ack: null };
    await store.applyEvaluation({ at: NOW, upsert: [{ finding, status: 'open', present: 2, absent: 0, ack: null }], remove: [], history: [{ at: NOW, findingId: 'f_1', kind: 'missing', severity: 'high', resource: 'r', host: 'h', port: 1, event: 'opened', detail: null }], openCount: 1, revision: 'x' });
    const ack = { by: 'ops', reason: 'planned', at: NOW, expiresAt: null };
    expect((await store.acknowledge('f_1', ack)).finding.ack).toEqual(ack);
    expect((await store.history({})).map((h) => h.event)).toEqual(['opened', 'acknowledged']);
    await expect(store.acknowledge('f_none', ack)).rejects.toMatchObject({ code: 'PD_FINDING_NOT_FOUND' });
    expect(await store.openSeries(null, 1000)).toEqual([{ at: NOW, open: 1 }]);
    // A resolved finding cannot be acknowledged: the ack would silence its next occurrence.
    await store.applyEvaluation({ at: NOW, upsert: [{ finding: { ...finding, id: 'f_2', resolvedAt: NOW }, status: 'resolved', present: 0, absent: 2, ack: null }], remove: [], history: [], openCount: 1, revision: 'x' });
    await expect(store.acknowledge('f_2', ack)).rejects.toMatchObject({ code: 'PD_FINDING_RESOLVED', message: 'finding f_2 is resolved: there is nothing to acknowledge (if it comes back it is reported anew)' });
    expect(await store.integrityCheck()).toBe('ok');
  });

  it('keeps the highest open count of each bucket of the series: a spike between quiet readings stays', async () => {
    const at = (t: string): string => `2026-12-01T${t}:00.000Z`;
    for (const [t, openCount] of [['10:00', 2], ['10:20', 60], ['10:40', 2], ['11:10', 3], ['11:50', 1]] as const) {
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

describe('SqliteStore retention', () => {
  it('prunes batch ids and series points older than the cut-off, nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-prune-'));
    const store = new SqliteStore(join(dir, 'pd.db'));
    try {
      await store.ingestBatch(batch('old', NOW, [['10.0.0.1', 22, 'open']]), '2026-10-01T00:00:00.000Z');
      await store.ingestBatch(batch('new', NOW, [['10.0.0.2', 22, 'open']]), '2026-12-01T00:00:00.000Z');
      const cut = '2026-11-01T00:00:00.000Z';
      expect(await store.prune({ batchesBefore: cut, seriesBefore: cut })).toEqual({ batches: 1, series: 0, rows: 0 });
      expect([await store.hasBatch('a1', 'old'), await store.hasBatch('a1', 'new')]).toEqual([false, true]);
      expect(await store.observations()).toHaveLength(2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SqliteStore.driftObservations', () => {
  it('returns open ports and every result of declared ports, not filtered undeclared ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-drift-obs-'));
    const store = new SqliteStore(join(dir, 'pd.db'));
    try {
      await store.ingestBatch(batch('b', NOW, [['10.0.0.1', 22, 'open'], ['10.0.0.1', 5432, 'filtered'], ['10.0.0.1', 9999, 'filtered'], ['10.0.0.2', 80, 'open']]), NOW);
      const got = await store.driftObservations(new Map([['10.0.0.1', new Set([5432])]]));
      expect(got.map((o) => `${o.ip}:${o.port}:${o.state}`).sort()).toEqual(['10.0.0.1:22:open', '10.0.0.1:5432:filtered']);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SqliteStore listeners', () => {
  it('replaces the listener view with each batch that carries one, and empties it with listenerView and no records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-listeners-'));
    const store = new SqliteStore(join(dir, 'pd.db'));
    try {
      const b = batch('l1', NOW, []);
      await store.ingestBatch({ ...b, listeners: [{ t: 'listener', ip: '0.0.0.0', port: 22, at: NOW }] }, NOW);
      await store.ingestBatch(batch('l2', NOW, []), NOW); // listeners not read: view kept
      expect((await store.agents())[0]!.listeners).toBe(1);
      const e = batch('l3', NOW, []);
      await store.ingestBatch({ ...e, header: { ...e.header, listenerView: true } }, NOW);
      expect((await store.agents())[0]!.listeners).toBe(0);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SqliteStore migrations', () => {
  it('keeps the batch ids of a version-1 store, now per agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-migrate-'));
    const file = join(dir, 'pd.db');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    db.exec(MIGRATIONS[0]!.sql);
    db.prepare('INSERT INTO schema_version (version) VALUES (1)').run();
    const insert = db.prepare('INSERT INTO batches (batch_id, agent, received_at, answer) VALUES (?, ?, ?, ?)');
    insert.run('b1', 'a1', NOW, JSON.stringify({ batchId: 'b1', agent: 'a1' }));
    db.close();
    const store = new SqliteStore(file);
    try {
      expect([await store.hasBatch('a1', 'b1'), await store.hasBatch('a2', 'b1')]).toEqual([true, false]);
      expect((await store.ingestBatch(batch('b1', NOW, []), NOW)).replayed).toBe(true);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SqliteStore row cap per agent', () => {
  it('counts rows again when an upper bound would pass the cap: resent rows update, new rows are capped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-cap-'));
    const store = new SqliteStore(join(dir, 'pd.db'), { maxRowsPerAgent: 1000 });
    const ports = (from: number, n: number) =>
      Array.from({ length: n }, (_, i): [string, number, 'open'] => ['10.0.0.1', from + i, 'open']);
    try {
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
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
