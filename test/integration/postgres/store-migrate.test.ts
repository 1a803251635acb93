// `portdrift store migrate --from FILE --to URL` as a user runs it (a child process of the built
// CLI): a SQLite store with tokens, an enrolled key, findings with an ack, history, ignore rules
// and the series arrives in PostgreSQL whole; the tokens keep working there; a second copy into
// the now used database is refused and changes nothing; the password is never printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../collector/store/postgres/store.js';
import { SqliteStore } from '../../../collector/store/sqlite.js';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { BUILT, MAIN } from '../collector/child.js';

const T0 = '2026-12-01T10:00:00.000Z';
const skip = pgSkipReason() || (!BUILT && !process.env.CI ? 'needs `npm run build`' : false);

describe.skipIf(skip)(`portdrift store migrate${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let db: TestDatabase;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-store-migrate-'));
    db = await freshDatabase();
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies tokens, findings, acks, history, ignores and the series; refuses a used database', async () => {
    const file = join(dir, 'portdrift.db');
    const src = new SqliteStore(file);
    const reader = await src.createToken({ name: 'ops', role: 'reader', now: T0 });
    const fleet = await src.createToken({ name: 'fleet', role: 'enroll', now: T0, scope: ['10.0.0.0/8'], maxUses: 5 });
    const agent = await src.enroll({
      secret: fleet.token,
      name: 'a1',
      scope: ['10.1.0.0/16'],
      identity: { host: 'h' },
      now: T0,
    });
    const finding = {
      id: 'f_1',
      kind: 'missing' as const,
      severity: 'high' as const,
      resource: 'aws_db.main',
      source: null,
      host: 'h',
      port: 5432,
      state: 'closed' as const,
      agent: 'a1',
      firstSeen: T0,
      lastSeen: T0,
      message: 'm',
      suggestion: 's',
      ack: null,
    };
    const opened = {
      at: T0,
      findingId: 'f_1',
      kind: 'missing' as const,
      severity: 'high' as const,
      resource: 'aws_db.main',
      host: 'h',
      port: 5432,
      event: 'opened' as const,
      detail: null,
    };
    await src.applyEvaluation({
      at: T0,
      upsert: [{ finding, status: 'open', present: 2, absent: 0, ack: null }],
      remove: [],
      history: [opened],
      openCount: 1,
      revision: 'r1',
    });
    await src.acknowledge('f_1', { by: 'ops', reason: 'maintenance', at: T0, expiresAt: null });
    await src.addIgnore({
      resource: 'module.legacy.*',
      host: null,
      port: null,
      kind: null,
      reason: 'retired',
      by: 'ops',
      createdAt: T0,
      expiresAt: null,
    });
    const before = {
      findings: await src.findings(),
      history: await src.history({}),
      ignores: await src.ignores(),
      tokens: await src.listTokens(),
      series: await src.openSeries(null, 1000),
    };
    await src.close();

    const url = new URL(db.url);
    url.password = 'not-needed-on-trust';
    const run = () =>
      spawnSync(process.execPath, [MAIN, 'store', 'migrate', '--from', 'portdrift.db', '--to', url.toString()], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).copied).toMatchObject({
      tokens: 3,
      findings: 1,
      history: 2,
      ignores: 1,
      evaluations: 1,
    });
    expect(r.stdout + r.stderr).not.toContain('not-needed-on-trust');

    const dst = await PostgresStore.open(db.url);
    try {
      expect(await dst.findings()).toEqual(before.findings);
      expect(await dst.history({})).toEqual(before.history);
      expect(await dst.ignores()).toEqual(before.ignores);
      expect(await dst.listTokens()).toEqual(before.tokens);
      expect(await dst.openSeries(null, 1000)).toEqual(before.series);
      // The secrets made on SQLite authenticate on PostgreSQL.
      expect((await dst.authenticate(reader.token, T0))?.name).toBe('ops');
      expect((await dst.authenticate(agent.key, T0))?.name).toBe('a1');
      // History continues after the copied sequence numbers.
      await dst.acknowledge('f_1', { by: 'ops', reason: 'again', at: T0, expiresAt: null });
      const seqs = (await dst.history({})).map((h) => h.seq);
      expect(seqs).toEqual([...before.history.map((h) => h.seq), Math.max(...before.history.map((h) => h.seq)) + 1]);
    } finally {
      await dst.close();
    }

    const again = run();
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already holds a portdrift store');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM tokens')).rows[0].n).toBe(3);
    } finally {
      await c.end();
    }
  });
});
