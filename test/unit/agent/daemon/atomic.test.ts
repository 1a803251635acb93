// The agent's file primitives against a local attacker who can plant names in its directory
// beforehand: no write follows a symbolic link, no read follows one or blocks on a FIFO.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createExclusive, readRegularFile, writeFileAtomic } from '../../../../agent/daemon/atomic.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pd-atomic-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A file the attacker wants the agent (root) to overwrite. */
function victim(): string {
  const f = join(tempDir(), 'victim');
  writeFileSync(f, 'precious\n');
  return f;
}

describe('writeFileAtomic', () => {
  it('does not write through a symlink planted at a predictable temporary name', () => {
    const dir = tempDir();
    const v = victim();
    // The names an earlier version used (`.<name>.<pid>.tmp`), for this and nearby pids.
    for (let pid = process.pid - 5; pid <= process.pid + 5; pid++) symlinkSync(v, join(dir, `.plan.json.${pid}.tmp`));
    writeFileAtomic(join(dir, 'plan.json'), 'new\n');
    expect(readFileSync(v, 'utf8')).toBe('precious\n');
    expect(readFileSync(join(dir, 'plan.json'), 'utf8')).toBe('new\n');
    expect(statSync(join(dir, 'plan.json')).mode & 0o777).toBe(0o600);
  });

  it('replaces a symlink at the target name instead of writing through it', () => {
    const dir = tempDir();
    const v = victim();
    symlinkSync(v, join(dir, 'state.json'));
    writeFileAtomic(join(dir, 'state.json'), 'mine\n');
    expect(readFileSync(v, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'state.json')).isFile()).toBe(true);
  });

  it('uses a new random temporary name each time', () => {
    const dir = tempDir();
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      // A name that exists cannot be reused (O_EXCL): the write would fail rather than follow it.
      writeFileAtomic(join(dir, `f${i}`), 'x');
      for (const n of readdirSync(dir)) seen.add(n);
    }
    expect([...seen].sort()).toEqual(['f0', 'f1', 'f2']);
  });
});

describe('createExclusive', () => {
  it('refuses a name that is a planted symlink, leaving its target alone', () => {
    const dir = tempDir();
    const v = victim();
    symlinkSync(v, join(dir, 'spool.key'));
    expect(() => createExclusive(join(dir, 'spool.key'), 'k')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(v, 'utf8')).toBe('precious\n');
  });
});

describe('readRegularFile', () => {
  it('refuses a symlink and a FIFO (without blocking)', () => {
    const dir = tempDir();
    symlinkSync(victim(), join(dir, 'link'));
    expect(() => readRegularFile(join(dir, 'link'))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(() => readRegularFile(join(dir, 'fifo'))).toThrow(expect.objectContaining({ code: 'ENOTREG' }));
  });

  it('reads a regular file, bounded', () => {
    const f = join(tempDir(), 'f');
    writeFileSync(f, 'hello');
    expect(readRegularFile(f).toString()).toBe('hello');
    expect(() => readRegularFile(f, 4)).toThrow(expect.objectContaining({ code: 'EFBIG' }));
  });
});
