// The memory side of the HCL parser pool (shared/iac/terraform/hcl/parse-file.ts): each thread holds its own
// hcl2json WASM (~60-80 MB of RSS), so a caller that needs the memory afterwards (`scan --live`
// loads the AWS SDK) asks for one thread, and the threads end as soon as an extraction is done
// instead of after their idle time. Pool mechanics with the stand-in thread of the crash tests
// (it answers `{ text }` after 5 ms); the extraction end to end with the built module and real
// hcl2json threads.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ParserPool } from '../../shared/iac/terraform/hcl/parse-file.js';

const repo = join(import.meta.dirname, '..', '..');
const echo = pathToFileURL(join(repo, 'test', 'fixtures', 'hcl-pool', 'dying-parser.mjs'));
const builtHcl = join(repo, 'dist', 'shared', 'iac', 'terraform', 'hcl', 'parse-file.js');
const builtExtract = join(repo, 'dist', 'shared', 'iac', 'extract.js');

/** Parses `n` files at once and returns the most threads the pool ran meanwhile. */
async function peakThreads(pool: ParserPool, n: number): Promise<number> {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, pool.size)), 1);
  const bodies = await Promise.all(Array.from({ length: n }, (_, i) => pool.parse(`f${i}.tf`, `t${i}`)));
  clearInterval(timer);
  expect(bodies).toEqual(Array.from({ length: n }, (_, i) => ({ text: `t${i}` })));
  return Math.max(peak, pool.size);
}

describe('HCL parser pool: memory', () => {
  it('a warm-up after release() starts threads that stay (a second extraction in one process)', async () => {
    const pool = new ParserPool(echo);
    pool.warm(40);
    await peakThreads(pool, 40);
    pool.release();
    // The demo extracts, then scans in the same process: this warm-up used to spin forever, each
    // thread ended as it was spawned by the pool still draining.
    pool.warm(40);
    expect(pool.size).toBeGreaterThan(0);
    expect(await peakThreads(pool, 40)).toBeGreaterThan(0);
    pool.release();
  });

  it('warm(files, 1) keeps a long queue on one thread; without a cap it takes two where two cores exist', async () => {
    const one = new ParserPool(echo);
    one.warm(40, 1);
    expect(await peakThreads(one, 40)).toBe(1);
    one.release();

    const two = new ParserPool(echo);
    two.warm(40);
    expect(await peakThreads(two, 40)).toBe(Math.max(1, Math.min(2, availableParallelism())));
    two.release();
  });

  it('release() ends idle threads at once, a busy one after its answers; the pool parses afterwards', async () => {
    const pool = new ParserPool(echo);
    await peakThreads(pool, 10);
    expect(pool.size, 'idle threads wait for more work').toBeGreaterThan(0);
    pool.release();
    expect(pool.size).toBe(0);

    const busy = Array.from({ length: 10 }, (_, i) => pool.parse(`b${i}.tf`, `b${i}`));
    expect(pool.size).toBeGreaterThan(0);
    pool.release();
    expect(await Promise.all(busy)).toEqual(Array.from({ length: 10 }, (_, i) => ({ text: `b${i}` })));
    expect(pool.size, 'the busy thread ended once it had answered').toBe(0);

    expect(await pool.parse('after.tf', 'after')).toEqual({ text: 'after' });
    pool.release();
    expect(pool.size).toBe(0);
  });
});

const built = existsSync(builtHcl) && existsSync(builtExtract);
type Hcl = typeof import('../../shared/iac/terraform/hcl/parse-file.js');
type Extract = typeof import('../../shared/iac/extract.js');

describe.skipIf(!built)('extraction with parser threads (needs a build)', () => {
  it('parserThreads: 1 runs one hcl2json thread, and no thread is left once extract() returns', async () => {
    const hcl = (await import(pathToFileURL(builtHcl).href)) as Hcl;
    const { extract } = (await import(pathToFileURL(builtExtract).href)) as Extract;
    const shop = join(repo, 'test', 'fixtures', 'terraform', 'shop');
    const options = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, hcl.hclParserThreads())), 1);
    const model = await extract([shop], { ...options, parserThreads: 1 }, { cwd: repo });
    clearInterval(timer);
    expect(model.resources.length).toBeGreaterThan(0);
    expect(peak).toBe(1);
    expect(hcl.hclParserThreads()).toBe(0);
  });
});
