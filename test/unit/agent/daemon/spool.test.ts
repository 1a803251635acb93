import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectorySpool, MemorySpool, type Spool } from '../../../../agent/daemon/spool.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pd-spool-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.each([
  ['DirectorySpool', (limits = { maxBatches: 3, maxBytes: 1000 }) => new DirectorySpool(join(tempDir(), 'spool'), limits) as Spool],
  ['MemorySpool', (limits = { maxBatches: 3, maxBytes: 1000 }) => new MemorySpool(limits) as Spool],
])('%s', (_name, make) => {
  it('keeps batches oldest first and reads them back', () => {
    const s = make();
    s.put('b1', 'one\n');
    s.put('b2', 'two\n');
    expect(s.entries().map((e) => e.batchId)).toEqual(['b1', 'b2']);
    expect(s.read(s.entries()[1]!)).toBe('two\n');
    s.remove(s.entries()[0]!);
    expect(s.entries().map((e) => e.batchId)).toEqual(['b2']);
    expect(s.dropped()).toBe(0);
  });

  it('when full by count, drops the oldest and counts the drops', () => {
    const s = make();
    for (const id of ['a', 'b', 'c', 'd', 'e']) expect(s.put(id, `${id}\n`)).toBe(id === 'd' || id === 'e' ? 1 : 0);
    expect(s.entries().map((e) => e.batchId)).toEqual(['c', 'd', 'e']);
    expect(s.dropped()).toBe(2);
    // A header that reported 2 drops was acknowledged; a drop that happened meanwhile remains.
    s.put('f', 'f\n');
    s.reportedDrops(2);
    expect(s.dropped()).toBe(1);
  });

  it('when full by bytes, drops the oldest but always keeps the newest', () => {
    const s = make({ maxBatches: 100, maxBytes: 10 });
    s.put('a', '12345');
    s.put('b', '12345');
    expect(s.put('c', '1')).toBe(1);
    expect(s.entries().map((e) => e.batchId)).toEqual(['b', 'c']);
    expect(s.put('big', 'x'.repeat(50))).toBe(2);
    expect(s.entries().map((e) => e.batchId)).toEqual(['big']);
    expect(s.dropped()).toBe(3);
  });

  it('counts a discarded (undeliverable) batch as a drop', () => {
    const s = make();
    s.put('a', 'a');
    s.discard(s.entries()[0]!);
    expect(s.entries()).toEqual([]);
    expect(s.dropped()).toBe(1);
  });

  it('refuses batch ids that are not file-name safe', () => {
    expect(() => make().put('../x', 'x')).toThrow(/invalid batch id/);
  });
});

describe('DirectorySpool on disk', () => {
  it('survives a restart: entries, order and drop count', () => {
    const dir = join(tempDir(), 's');
    const a = new DirectorySpool(dir, { maxBatches: 2, maxBytes: 1e6 });
    for (const id of ['x1', 'x2', 'x3']) a.put(id, `${id}\n`);
    const b = new DirectorySpool(dir, { maxBatches: 2, maxBytes: 1e6 });
    expect(b.entries().map((e) => e.batchId)).toEqual(['x2', 'x3']);
    expect(b.dropped()).toBe(1);
    // New batches sort after the old ones.
    b.put('x4', 'x4\n');
    expect(b.entries().map((e) => e.batchId)).toEqual(['x3', 'x4']);
    expect(readdirSync(dir).filter((n) => n.endsWith('.ndjson'))).toHaveLength(2);
  });

  it('removes torn temporaries at open and ignores foreign files', () => {
    const dir = join(tempDir(), 's');
    new DirectorySpool(dir).put('ok', 'ok\n');
    writeFileSync(join(dir, '.0000000000000002-torn.ndjson.123.tmp'), '{"t":"batch"');
    writeFileSync(join(dir, 'README'), 'not a batch');
    const s = new DirectorySpool(dir);
    expect(s.recovered).toEqual({ tempRemoved: 1, ignored: ['README'] });
    expect(s.entries().map((e) => e.batchId)).toEqual(['ok']);
    expect(existsSync(join(dir, '.0000000000000002-torn.ndjson.123.tmp'))).toBe(false);
  });

  const distSpool = join(root, 'dist', 'agent', 'daemon', 'spool.js');
  (existsSync(distSpool) ? it : it.skip)('a process killed (SIGKILL) mid-write leaves only whole batches', async () => {
    const dir = join(tempDir(), 's');
    // The writer puts 256 KiB batches whose body is derived from the id, as fast as it can; it
    // says "go" once the spool is full (so drops happened), and is killed at a random moment after.
    const script = `
      import { DirectorySpool } from ${JSON.stringify(distSpool)};
      const s = new DirectorySpool(${JSON.stringify(dir)}, { maxBatches: 20, maxBytes: 1e9 });
      for (let i = 0; ; i++) { const id = 'b' + i; s.put(id, (id + '|').repeat(65536 / (id.length + 1) * 4 | 0) + '\\n'); if (i === 25) console.log('go'); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 30 + Math.random() * 70));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const s = new DirectorySpool(dir, { maxBatches: 20, maxBytes: 1e9 });
    expect(s.entries().length).toBeGreaterThan(5);
    for (const e of s.entries()) {
      const body = s.read(e);
      const unit = `${e.batchId}|`;
      expect(body, e.key).toBe(unit.repeat(((65536 / unit.length) * 4) | 0) + '\n');
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).dropped).toBeGreaterThan(0);
  });
});

describe('DirectorySpool errors', () => {
  it('says PD_SPOOL when the directory cannot be used', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    expect(() => new DirectorySpool(join(file, 'spool'))).toThrow(expect.objectContaining({ code: 'PD_SPOOL', message: expect.stringContaining('ENOTDIR') }));
  });
});
