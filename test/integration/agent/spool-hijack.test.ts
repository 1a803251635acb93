// Another local user against the real agent's --spool (dist/cli/main.js, a collector on
// loopback, real directories in a temp dir): a directory others can write, or that belongs to
// someone else, is refused before anything is written or sent; a batch planted in the spool (or
// a symbolic link with a batch's name) is never sent under the agent's token, and left in place.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, portdrift, type Proc } from './harness.js';
import { type HostileCollector, servingPlan } from './loopback-collector.js';

const plan = { version: 1, agent: 'a1', revision: 'r1', intervalMs: 500, targets: [] };

let dir: string;
let c: HostileCollector;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-agent-spoolhijack-'));
});
afterEach(async () => {
  await killAll();
  await c?.close();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start(spool: string): Promise<Proc> {
  c = await servingPlan(plan).listen();
  const flags = [
    '--token',
    'tok',
    '--name',
    'a1',
    '--scope',
    '127.0.0.0/8',
    '--min-interval',
    '500ms',
    '--flush-timeout',
    '1s',
  ];
  return portdrift('agent', null, ['agent', '--collector', c.url, ...flags, '--spool', spool]);
}

/** The agent must refuse to start: exit 1, PD_SPOOL naming the directory and `want`; nothing sent. */
async function expectRefused(a: Proc, spool: string, want: string | RegExp): Promise<void> {
  const exit = await a.waitExit(15_000);
  expect(exit.code).toBe(1);
  expect(a.stderr).toContain('PD_SPOOL');
  expect(a.stderr).toContain(spool);
  expect(a.stderr).toMatch(want);
  expect(c.received, 'nothing asked of the collector').toEqual([]);
}

describe('a --spool directory another user can reach', () => {
  it('refuses an existing world-writable directory (chmod 777), writing nothing into it', async () => {
    const spool = join(dir, 'open');
    mkdirSync(spool);
    chmodSync(spool, 0o777);
    const a = await start(spool);
    await expectRefused(a, spool, /writable by every user \(mode 0777\).*chmod 700/);
    expect(readdirSync(spool)).toEqual([]);
  });

  it('refuses a symbolic link to a world-writable directory', async () => {
    const target = join(dir, 'open-target');
    mkdirSync(target);
    chmodSync(target, 0o1777);
    const spool = join(dir, 'link-to-open');
    symlinkSync(target, spool);
    const a = await start(spool);
    await expectRefused(a, spool, /writable by every user \(mode 1777\)/);
    expect(readdirSync(target)).toEqual([]);
  });

  it.skipIf(process.geteuid?.() !== 0)('refuses (as root) a directory owned by another user', async () => {
    const spool = join(dir, 'theirs');
    mkdirSync(spool, { mode: 0o700 });
    chownSync(spool, 65534, 65534);
    const a = await start(spool);
    await expectRefused(a, spool, /owned by uid 65534, not by this agent's user \(uid 0\)/);
  });

  it('creates a missing directory 0700 and runs', async () => {
    const spool = join(dir, 'fresh', 'spool');
    const a = await start(spool);
    await a.waitForLog('sweep done', 20_000, 2);
    a.signal('SIGTERM');
    expect((await a.waitExit(10_000)).code).toBe(0);
    expect(c.batches().length).toBeGreaterThanOrEqual(2);
  });
});

describe('a batch the agent did not write', () => {
  it('is not sent (a planted batch, a symlink with a batch name), is logged, and is left in place', async () => {
    const spool = join(dir, 'planted');
    mkdirSync(spool, { mode: 0o700 });
    // Written while the directory was open to others, or by an earlier agent that did not seal.
    const planted = '0000000000000000-planted.ndjson';
    const now = new Date().toISOString();
    const header = { t: 'batch', v: 1, batchId: 'planted', agent: 'a1', agentVersion: '0.1.0', planRevision: 'r1' };
    const batch = { ...header, startedAt: now, finishedAt: now, spoolDropped: 0, spoolDepth: 0 };
    writeFileSync(join(spool, planted), `${JSON.stringify(batch)}\n`, { mode: 0o600 });
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'SECRET-CONTENT\n');
    symlinkSync(secret, join(spool, '0000000000000001-leak.ndjson'));
    const a = await start(spool);
    await a.waitForLog('sweep done', 20_000, 3);
    a.signal('SIGTERM');
    expect((await a.waitExit(10_000)).code).toBe(0);

    const keys = c.batches().map((b) => b.headers['idempotency-key']);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(keys).not.toContain('planted');
    expect(keys).not.toContain('leak');
    for (const b of c.batches()) expect(b.body).not.toContain('SECRET-CONTENT');
    const warned = a.messages('spool files this agent did not write (no valid seal): not sent, left in place');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ count: 2, files: [planted, '0000000000000001-leak.ndjson'] });
    expect(existsSync(join(spool, planted))).toBe(true);
  });
});
