// The crash paths of the HCL parser pool (shared/iac/terraform/hcl/parse-file.ts ParserPool), with parser threads that
// really exit: hcl2json's WASM cannot be made to crash on purpose, so these threads speak its
// protocol but die when a file tells them to (test/fixtures/hcl-pool/). What extraction promises for
// bad input holds: a file that kills the parser is a problem of that file, every other file is
// still parsed, and a parser that cannot start at all fails every file at once instead of
// spawning thread after thread.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HclParseError, ParserPool } from '../../shared/iac/terraform/hcl/parse-file.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'hcl-pool');
const dying = pathToFileURL(join(fixtures, 'dying-parser.mjs'));
const dead = pathToFileURL(join(fixtures, 'dead-parser.mjs'));
const tmp = mkdtempSync(join(tmpdir(), 'pd-hcl-crash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const settle = (p: Promise<unknown>) =>
  p.then(
    (body) => ({ body }),
    (err: unknown) => ({ err }),
  );

describe('HCL parser pool: threads that die', () => {
  it(
    'a file that kills two threads is a parse problem of that ' +
      'file; the files the dead threads held are parsed by the next',
    async () => {
      const pool = new ParserPool(dying);
      // Answered first, so the pool knows its threads can start.
      expect(await pool.parse('first.tf', 'a')).toEqual({ text: 'a' });
      const names = Array.from({ length: 12 }, (_, i) => `f${i}.tf`);
      const results = await Promise.all(names.map((f, i) => settle(pool.parse(f, i === 3 ? 'die' : `ok ${i}`))));
      const killer = results[3] as { err: unknown };
      expect(killer.err).toBeInstanceOf(HclParseError);
      expect((killer.err as Error).message).toMatch(
        /^the HCL parser failed on this file \(exited with code 7\); not extracted$/,
      );
      expect((killer.err as HclParseError).diagnostics).toEqual([]);
      results.forEach((r, i) => {
        if (i !== 3) expect(r, names[i]).toEqual({ body: { text: `ok ${i}` } });
      });
      // The pool is still usable afterwards.
      expect(await pool.parse('after.tf', 'b')).toEqual({ text: 'b' });
    },
  );

  it('a file one thread died on is tried once more, and parsed when the next thread survives it', async () => {
    const pool = new ParserPool(dying);
    expect(await pool.parse('first.tf', 'a')).toEqual({ text: 'a' });
    const marker = join(tmp, 'died-once');
    const text = `die once: ${marker}`;
    expect(await pool.parse('flaky.tf', text)).toEqual({ text });
    expect(existsSync(marker), 'the first thread did die').toBe(true);
  });

  it('a parser that never answers anything fails every queued file with one cause, without respawning', async () => {
    const pool = new ParserPool(dead);
    const results = await Promise.all(['a.tf', 'b.tf', 'c.tf'].map((f) => settle(pool.parse(f, 'x'))));
    for (const r of results)
      expect((r as { err: Error }).err.message).toBe('the HCL parser cannot start: exited with code 7');
  });
});
