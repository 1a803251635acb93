// One store, one collector: a second collector on the same SQLite file is refused at start,
// naming the file, while the first runs; once the first stops (or dies), the store is free again.
// `portdrift token create` works on the store while a collector holds it.
import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from './harness.js';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');
let first: TestCollector | undefined;
afterEach(async () => {
  await first?.stop();
  first = undefined;
});

describe('store lock', () => {
  it('refuses a second collector on a store in use, and frees the store when the first stops', async () => {
    first = await startTestCollector();
    const dir = first.dir;
    const second = await startTestCollector({}, dir).catch((e: unknown) => e as Error & { code?: string });
    expect(second).toMatchObject({
      code: 'PD_STORE',
      message:
        `another collector is running on ${join(dir, 'pd.db')} (it ` +
        `holds ${join(dir, 'pd.db')}.lock); a store has one collector`,
    });
    if (existsSync(MAIN)) {
      // The store itself is not locked: tokens can be made while the collector runs.
      const r = spawnSync(
        process.execPath,
        [MAIN, 'token', 'create', '--data', join(dir, 'pd.db'), '--role', 'reader', '--name', 'late'],
        { encoding: 'utf8', timeout: 20_000 },
      );
      expect(r.status, r.stderr).toBe(0);
    }
    // The same file through a symlink is the same store.
    symlinkSync(join(dir, 'pd.db'), join(dir, 'alias.db'));
    const viaLink = await startTestCollector({ data: join(dir, 'alias.db') }, dir).catch(
      (e: unknown) => e as Error & { code?: string },
    );
    expect(viaLink).toMatchObject({
      code: 'PD_STORE',
      message: expect.stringMatching(/^another collector is running on /),
    });
    await first.stop(true);
    first = await startTestCollector({}, dir);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

// The product runs SQLite on a worker thread (ThreadedStore), which exists only in the compiled
// output: the same refusal through the built modules, so the lock is tested with both stores.
const BUILT_DAEMON = join(import.meta.dirname, '..', '..', '..', 'dist', 'collector', 'daemon.js');
describe.skipIf(!existsSync(BUILT_DAEMON) && !process.env.CI)(
  'store lock with the store on its worker thread (needs `npm run build`)',
  () => {
    it('refuses a second collector while the first holds the store from its thread, and frees it on stop', async () => {
      const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { pathToFileURL } = await import('node:url');
      const built = (p: string) => import(pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'dist', p)).href);
      const { startCollector } = (await built('collector/daemon.js')) as typeof import('../../../collector/daemon.js');
      const { collectorConfig } = (await built('collector/config.js')) as typeof import('../../../collector/config.js');
      const { silentLogger } = (await built('shared/log.js')) as typeof import('../../../shared/log.js');
      const { ThreadedStore } = (await built(
        'collector/store/threaded.js',
      )) as typeof import('../../../collector/store/threaded.js');
      const dir = mkdtempSync(join(tmpdir(), 'pd-lock-thread-'));
      try {
        writeFileSync(join(dir, 'main.tf'), 'resource "aws_db_instance" "a" {\n  port = 5432\n}\n');
        const config = collectorConfig(undefined, {
          iac: [join(dir, 'main.tf')],
          data: join(dir, 'pd.db'),
          listen: '127.0.0.1:0',
          logLevel: 'silent',
          storeThread: true,
        });
        const a = await startCollector(config, { cwd: dir, log: silentLogger() });
        try {
          expect(a.store).toBeInstanceOf(ThreadedStore);
          await expect(startCollector(config, { cwd: dir, log: silentLogger() })).rejects.toMatchObject({
            code: 'PD_STORE',
            message: expect.stringMatching(/^another collector is running on /),
          });
        } finally {
          await a.stop();
        }
        const b = await startCollector(config, { cwd: dir, log: silentLogger() });
        await b.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
