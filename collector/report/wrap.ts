// Word wrap for the plain-text part. Mail readers show text at 78 columns or less (RFC 5322
// recommends it), and a 249-column line wraps wherever the reader's window ends. Lines break at
// spaces only: a URL or an IaC `file:line` is never split (a split one can no longer be clicked or
// pasted), so a token longer than the width stands alone on its own, longer line.

export const TEXT_WIDTH = 78;

/** Display columns of a string: code points (the report's symbols are all one column wide). */
export const columns = (s: string): number => [...s].length;

/**
 * `text` wrapped at `width` columns; the first line starts with `first`, the others with `rest`
 * (a hanging indent). Runs of spaces inside a line are kept (they separate columns); at a break
 * they are dropped.
 */
export function wrap(text: string, first = '', rest = first, width = TEXT_WIDTH): string[] {
  const lines: string[] = [];
  let line = first;
  let fresh = true; // nothing but the indent on this line yet
  for (const [, word, gap] of text.matchAll(/(\S+)(\s*)/g)) {
    if (!fresh && columns(line) + columns(word!) > width) {
      lines.push(line.trimEnd());
      line = rest;
      fresh = true;
    }
    line += word! + gap!;
    fresh = false;
  }
  lines.push(line.trimEnd());
  return lines;
}
