// No product source file over 350 lines: a unit with one job fits on a few screens, and a file
// that grows past the limit is split by job, not trimmed. Tests and fixtures are not product
// source; only the code folders' TypeScript and JavaScript count.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const FOLDERS = ['agent', 'collector', 'shared', 'cli', 'bench', 'examples'];
const MAX_LINES = 350;
const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

/**
 * Files allowed over the limit, each with its reason (none now); remove an entry with the split
 * that brings its file under the limit.
 */
const EXCEPTIONS = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'results' ? [] : sourceFiles(path);
    return SOURCE.test(e.name) ? [path] : [];
  });
}

function lineCount(file: string): number {
  const text = readFileSync(join(root, file), 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe('file size', () => {
  const files = FOLDERS.flatMap(sourceFiles);

  it('finds the product source', () => {
    expect(files.length).toBeGreaterThan(200);
    expect(files).toContain('shared/types.ts');
  });

  it(`no product source file is over ${MAX_LINES} lines`, () => {
    const over = files
      .filter((f) => !EXCEPTIONS.has(f))
      .map((f) => ({ file: f, lines: lineCount(f) }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(over).toEqual([]);
  });

  it('every exception names a product source file', () => {
    expect([...EXCEPTIONS].filter((f) => !files.includes(f))).toEqual([]);
  });
});
