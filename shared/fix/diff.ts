// A unified diff of line replacements (what `portdrift fix` makes: one line changed in place,
// never inserted or removed), in the format `git apply` and `patch -p1` read. Hunks carry three
// lines of context and merge when their contexts touch, as diff -u does.

export interface FileChange {
  /** The path the diff names as `a/<file>` and `b/<file>` (fix gives it relative to the working directory). */
  file: string;
  before: string;
  after: string;
}

const CONTEXT = 3;

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  const finalNewline = text.endsWith('\n');
  const lines = text.split('\n');
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

export function unifiedDiff(change: FileChange): string {
  const a = splitLines(change.before);
  const b = splitLines(change.after);
  if (a.lines.length !== b.lines.length) throw new Error('unifiedDiff: only in-place line replacements are supported');
  const changed: number[] = [];
  for (let i = 0; i < a.lines.length; i++) if (a.lines[i] !== b.lines[i]) changed.push(i);
  if (changed.length === 0 && a.finalNewline === b.finalNewline) return '';
  const last = a.lines.length - 1;
  // Group changed lines into hunks whose context windows overlap or touch.
  const hunks: Array<[number, number]> = [];
  for (const i of changed) {
    const lo = Math.max(0, i - CONTEXT);
    const hi = Math.min(last, i + CONTEXT);
    const prev = hunks[hunks.length - 1];
    if (prev && lo <= prev[1] + 1) prev[1] = hi;
    else hunks.push([lo, hi]);
  }
  const out = [`--- a/${change.file}`, `+++ b/${change.file}`];
  const noEol = '\\ No newline at end of file';
  for (const [lo, hi] of hunks) {
    const n = hi - lo + 1;
    out.push(`@@ -${lo + 1},${n} +${lo + 1},${n} @@`);
    // Changed lines are emitted as runs: all removals of a run, then all additions, like diff -u.
    for (let i = lo; i <= hi; ) {
      if (a.lines[i] === b.lines[i]) {
        out.push(` ${a.lines[i]}`);
        if (i === last && !a.finalNewline) out.push(noEol);
        i++;
        continue;
      }
      let j = i;
      while (j <= hi && a.lines[j] !== b.lines[j]) j++;
      for (let k = i; k < j; k++) {
        out.push(`-${a.lines[k]}`);
        if (k === last && !a.finalNewline) out.push(noEol);
      }
      for (let k = i; k < j; k++) {
        out.push(`+${b.lines[k]}`);
        if (k === last && !b.finalNewline) out.push(noEol);
      }
      i = j;
    }
  }
  return `${out.join('\n')}\n`;
}
