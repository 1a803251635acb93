import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
} from 'node:fs';
import { rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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
  [
    'DirectorySpool',
    (limits = { maxBatches: 3, maxBytes: 1000 }) => new DirectorySpool(join(tempDir(), 'spool'), limits) as Spool,
  ],
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
    expect(s.recovered).toEqual({ tempRemoved: 1, ignored: ['README'], unauthenticated: [] });
    expect(s.entries().map((e) => e.batchId)).toEqual(['ok']);
    expect(existsSync(join(dir, '.0000000000000002-torn.ndjson.123.tmp'))).toBe(false);
  });

  const distSpool = join(root, 'dist', 'agent', 'daemon', 'spool.js');
  (existsSync(distSpool) ? it : it.skip)('a process killed (SIGKILL) mid-write leaves only whole batches', async () => {
    const dir = join(tempDir(), 's');
    // The writer puts 256 KiB batches whose body is derived from the id, as fast as it can; it
    // says "go" once the spool is full (so drops happened), and is killed at a random moment after.
    const script =
      `
      import { DirectorySpool } from ${JSON.stringify(distSpool)};
      const s = new DirectorySpool(${JSON.stringify(dir)}, { maxBatches: 20, maxBytes: 1e9 });
 ` +
      `     for (let i = 0; ; i++) { const id = 'b' + i; s.put(id, (id + '|').repeat(65536 ` +
      `/ (id.length + 1) * 4 | 0) + '\\n'); if (i === 25) console.log('go'); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 30 + Math.random() * 70));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const s = new DirectorySpool(dir, { maxBatches: 20, maxBytes: 1e9 });
    expect(s.entries().length).toBeGreaterThan(5);
    for (const e of s.entries()) {
      const body = s.read(e);
      const unit = `${e.batchId}|`;
      expect(body, e.key).toBe(`${unit.repeat(((65536 / unit.length) * 4) | 0)}\n`);
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(s.dropped()).toBeGreaterThan(0);
  });
});

describe('DirectorySpool errors', () => {
  it('says PD_SPOOL when the directory cannot be used', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    expect(() => new DirectorySpool(join(file, 'spool'))).toThrow(
      expect.objectContaining({ code: 'PD_SPOOL', message: expect.stringContaining('ENOTDIR') }),
    );
  });
});

describe('DirectorySpool: only what this agent wrote, in a directory only it can write', () => {
  const spoolError = (message: string | RegExp) =>
    expect.objectContaining({
      code: 'PD_SPOOL',
      message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
    });
  const header = (id: string) => `${JSON.stringify({ t: 'batch', v: 1, batchId: id, agent: 'a1' })}\n`;

  it('creates a missing directory 0700, its files 0600, and a key beside them', () => {
    const dir = join(tempDir(), 'new', 'spool');
    new DirectorySpool(dir).put('b1', header('b1'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['0000000000000001-b1.ndjson', 'spool.key']);
  });

  it('does not use a batch file it did not seal, and leaves it in place', () => {
    const dir = join(tempDir(), 's');
    new DirectorySpool(dir).put('mine', header('mine'));
    const planted = '0000000000000000-planted.ndjson';
    writeFileSync(join(dir, planted), header('planted'), { mode: 0o600 });
    const s = new DirectorySpool(dir);
    expect(s.entries().map((e) => e.batchId)).toEqual(['mine']);
    expect(s.recovered.unauthenticated).toEqual([planted]);
    expect(readFileSync(join(dir, planted), 'utf8')).toBe(header('planted'));
  });

  it('refuses a sealed batch renamed to another place in the queue, and one sealed under another key', () => {
    const dir = join(tempDir(), 's');
    const a = new DirectorySpool(dir);
    a.put('x', header('x'));
    writeFileSync(join(dir, '0000000000000000-x.ndjson'), readFileSync(join(dir, '0000000000000001-x.ndjson')));
    const other = join(tempDir(), 'other');
    new DirectorySpool(other).put('y', header('y'));
    writeFileSync(join(dir, '0000000000000005-y.ndjson'), readFileSync(join(other, '0000000000000001-y.ndjson')));
    const b = new DirectorySpool(dir);
    expect(b.entries().map((e) => e.key)).toEqual(['0000000000000001-x.ndjson']);
    expect(b.recovered.unauthenticated.sort()).toEqual(['0000000000000000-x.ndjson', '0000000000000005-y.ndjson']);
  });

  it('does not follow a symbolic link with a batch name (never reads the file it points to)', () => {
    const dir = join(tempDir(), 's');
    new DirectorySpool(dir);
    const secret = join(tempDir(), 'secret');
    writeFileSync(secret, 'root:x:0:0\n');
    symlinkSync(secret, join(dir, '0000000000000001-link.ndjson'));
    const s = new DirectorySpool(dir);
    expect(s.entries()).toEqual([]);
    expect(s.recovered.unauthenticated).toEqual(['0000000000000001-link.ndjson']);
    expect(lstatSync(join(dir, '0000000000000001-link.ndjson')).isSymbolicLink()).toBe(true);
  });

  it.each([
    [0o777, /writable by every user \(mode 0777\).*chmod 700/],
    [0o1777, /writable by every user \(mode 1777\).*chmod 700/],
    [0o770, /writable by its group \(mode 0770\).*chmod 700/],
  ])('refuses an existing directory of mode %s, naming it and the fix', (mode, message) => {
    const dir = join(tempDir(), 's');
    mkdirSync(dir);
    chmodSync(dir, mode);
    expect(() => new DirectorySpool(dir)).toThrow(spoolError(message));
    expect(() => new DirectorySpool(dir)).toThrow(dir);
    expect(readdirSync(dir), 'nothing written into it').toEqual([]);
  });

  it('accepts an existing directory of mode 0755 (readable, not writable, by others)', () => {
    const dir = join(tempDir(), 's');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    new DirectorySpool(dir).put('b', header('b'));
    expect(new DirectorySpool(dir).entries()).toHaveLength(1);
  });

  it.skipIf(process.geteuid?.() !== 0)('refuses a directory owned by another user (as root)', () => {
    const dir = join(tempDir(), 's');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    expect(() => new DirectorySpool(dir)).toThrow(spoolError("owned by uid 65534, not by this agent's user (uid 0)"));
  });

  it('follows a symbolic link to a private directory, refuses one to a directory others can write', () => {
    const base = tempDir();
    const good = join(base, 'good');
    mkdirSync(good, { mode: 0o700 });
    symlinkSync(good, join(base, 'to-good'));
    new DirectorySpool(join(base, 'to-good')).put('b', header('b'));
    expect(readdirSync(good)).toContain('0000000000000001-b.ndjson');
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    symlinkSync(open, join(base, 'to-open'));
    expect(() => new DirectorySpool(join(base, 'to-open'))).toThrow(spoolError('writable by every user'));
  });

  it('refuses a key file others can read', () => {
    const dir = join(tempDir(), 's');
    new DirectorySpool(dir);
    chmodSync(join(dir, 'spool.key'), 0o644);
    expect(() => new DirectorySpool(dir)).toThrow(
      spoolError(/spool\.key: is readable or writable by others.*chmod 600/),
    );
  });
});
