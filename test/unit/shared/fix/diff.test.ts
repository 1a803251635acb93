import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../../shared/fix/diff.js';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);
const dir = mkdtempSync(join(tmpdir(), 'pd-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The diff must be what `git apply` accepts: apply it for real and compare.
function applies(before: string, after: string): void {
  writeFileSync(join(dir, 'f.tf'), before);
  writeFileSync(join(dir, 'p.diff'), unifiedDiff({ file: 'f.tf', before, after }));
  execFileSync('git', ['apply', '--unsafe-paths', `--directory=`, 'p.diff'], { cwd: dir, stdio: 'pipe' });
  expect(readFileSync(join(dir, 'f.tf'), 'utf8')).toBe(after);
}

describe('unifiedDiff', () => {
  it('writes one hunk with three lines of context', () => {
    const a = lines(10);
    const b = [...a];
    b[4] = 'changed';
    expect(unifiedDiff({ file: 'x.tf', before: `${a.join('\n')}\n`, after: `${b.join('\n')}\n` })).toBe(
      [
        '--- a/x.tf',
        '+++ b/x.tf',
        '@@ -2,7 +2,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+changed',
        ' line 6',
        ' line 7',
        ' line 8',
        '',
      ].join('\n'),
    );
  });

  it('merges close changes and splits distant ones, and git apply accepts it', () => {
    const a = lines(40);
    const b = [...a];
    b[0] = 'first';
    b[5] = 'sixth';
    b[30] = 'far';
    b[36] = 'near';
    const d = unifiedDiff({ file: 'x.tf', before: `${a.join('\n')}\n`, after: `${b.join('\n')}\n` });
    expect(d.match(/^@@/gm)).toHaveLength(2);
    expect(d).toContain('@@ -1,9 +1,9 @@');
    expect(d).toContain('@@ -28,13 +28,13 @@');
    applies(`${a.join('\n')}\n`, `${b.join('\n')}\n`);
  });

  it('handles a last line without newline', () => {
    const a = lines(3).join('\n');
    const b = 'line 1\nline 2\nline three';
    expect(unifiedDiff({ file: 'x', before: a, after: b })).toContain(
      '-line 3\n\\ No newline at end of file\n+line three\n\\ No newline at end of file\n',
    );
    applies(a, b);
  });

  it('is empty when nothing changed', () => {
    expect(unifiedDiff({ file: 'x', before: 'a\n', after: 'a\n' })).toBe('');
  });
});
