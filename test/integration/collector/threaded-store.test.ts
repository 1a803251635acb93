// The store on its worker thread, as the built collector runs it (dist/: the worker is
// compiled JavaScript): the same answers as SqliteStore, errors with their codes, the schema
// refusal at open, and every Store method present.
import { Database } from '../../../collector/store/sqlite-driver.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './child.js';

const built = join(REPO, 'dist', 'collector', 'store', 'threaded.js');
const AT = '2026-12-01T10:00:00.000Z';

describe.skipIf(!existsSync(built) && !process.env.CI)('ThreadedStore (needs `npm run build`)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-threaded-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers like SqliteStore across the thread, with error codes intact', async () => {
    const { ThreadedStore } = (await import(built)) as typeof import('../../../collector/store/threaded.js');
    const store = await ThreadedStore.open(join(dir, 'a.db'));
    try {
      for (const m of [
        'createToken',
        'listTokens',
        'revokeToken',
        'authenticate',
        'ingestBatch',
        'observations',
        'driftObservations',
        'sweeps',
        'hasBatch',
        'agents',
        'notePlanServed',
        'findings',
        'finding',
        'applyEvaluation',
        'acknowledge',
        'history',
        'openSeries',
        'addIgnore',
        'ignores',
        'removeIgnore',
        'getMeta',
        'setMeta',
        'prune',
        'stats',
        'integrityCheck',
        'close',
      ]) {
        expect(typeof (store as unknown as Record<string, unknown>)[m], m).toBe('function');
      }
      const { token } = await store.createToken({ name: 'a1', role: 'agent', now: AT });
      expect((await store.authenticate(token, AT))?.name).toBe('a1');
      const batch = {
        header: {
          t: 'batch' as const,
          v: 1 as const,
          batchId: 'b1',
          agent: 'a1',
          agentVersion: '1',
          planRevision: null,
          startedAt: AT,
          finishedAt: AT,
          spoolDropped: 0,
          spoolDepth: 0,
        },
        sweeps: [{ t: 'sweep' as const, host: 'h', ip: '10.0.0.1', ports: '20-30', closed: '20-21,23-30', at: AT }],
        observations: [
          {
            t: 'obs' as const,
            host: 'h',
            ip: '10.0.0.1',
            port: 22,
            state: 'open' as const,
            rttMs: 0.5,
            at: AT,
            service: 'ssh',
          },
          { t: 'obs' as const, host: 'h', ip: '10.0.0.1', port: 5432, state: 'filtered' as const, rttMs: null, at: AT },
        ],
        listeners: [],
      };
      expect((await store.ingestBatch(batch, AT)).replayed).toBe(false);
      expect((await store.ingestBatch(batch, AT)).replayed).toBe(true);
      expect(await store.driftObservations(new Map([['h', new Set([5432])]]))).toEqual([
        { agent: 'a1', host: 'h', ip: '10.0.0.1', port: 22, state: 'open', rttMs: 0.5, at: AT, service: 'ssh' },
        { agent: 'a1', host: 'h', ip: '10.0.0.1', port: 5432, state: 'filtered', rttMs: null, at: AT },
      ]);
      expect((await store.agents())[0]).toMatchObject({ batches: 1, observations: 2 });
      await expect(
        store.acknowledge('f_none', { by: 'x', reason: 'y', at: AT, expiresAt: null }),
      ).rejects.toMatchObject({ code: 'PD_FINDING_NOT_FOUND' });
      expect(await store.integrityCheck()).toBe('ok');
    } finally {
      await store.close();
    }
    await expect(store.listTokens()).rejects.toMatchObject({ code: 'PD_STORE' });
  });

  it('refuses a newer schema at open with PD_STORE_SCHEMA', async () => {
    const { ThreadedStore } = (await import(built)) as typeof import('../../../collector/store/threaded.js');
    const file = join(dir, 'b.db');
    await (await ThreadedStore.open(file)).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version) VALUES (999)').run();
    db.close();
    await expect(ThreadedStore.open(file)).rejects.toMatchObject({ code: 'PD_STORE_SCHEMA' });
  });
});
