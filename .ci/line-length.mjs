// Lines of at most 120 columns in the sources (the formatter wraps code; this catches what it cannot wrap:
// comments, long strings and regular expressions). Prints each offender as file:line and exits 1.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const files = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.mjs', '*.js', ':!test/fixtures'], {
  encoding: 'utf8',
})
  .split('\0')
  .filter(Boolean);
let bad = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  text.split('\n').forEach((line, i) => {
    const columns = [...line].length;
    if (columns > MAX) {
      bad++;
      console.log(`${file}:${i + 1}: ${columns} columns (at most ${MAX})`);
    }
  });
}
if (bad) {
  console.log(`${bad} line${bad === 1 ? '' : 's'} over ${MAX} columns`);
  process.exit(1);
}
