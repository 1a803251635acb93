// One leg of CI: `npm test` in the current directory, then its counts as the plain line
// "LEG: N passed, N failed[, N skipped]". A test file that did not pass (a failed test, or a
// worker that died under it) is run once more on its own; the leg then counts each file's last
// run, and names every file that passed only the second time as FLAKY, so the flake stays
// visible in CI's output instead of blocking or hiding. More than 5 such files: no second run.
// Usage: node .ci/leg.mjs LEG [FILE]  (exit 0 when every test file passed in the end and tests
// ran); FILE receives the count line too, for .ci/run to add up.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const leg = process.argv[2] ?? 'tests';
const REPORT = '.vitest-report.json';
const RERUN = '.vitest-rerun.json';

/** Per test file (relative path): passed / failed / skipped test counts, from a vitest JSON report. */
function read(path) {
  const files = new Map();
  if (!existsSync(path)) return files;
  const r = JSON.parse(readFileSync(path, 'utf8'));
  for (const t of r.testResults ?? []) {
    const c = { passed: 0, failed: 0, skipped: 0, ok: t.status === 'passed' };
    for (const a of t.assertionResults ?? []) {
      if (a.status === 'passed') c.passed++;
      else if (a.status === 'failed') c.failed++;
      else c.skipped++;
    }
    if (c.failed > 0) c.ok = false;
    // A file whose tests were all skipped (a missing tool, said in its output) is not a failure.
    if (t.status !== 'passed' && c.failed === 0 && c.passed === 0 && c.skipped > 0) c.ok = true;
    files.set(relative(process.cwd(), t.name), c);
  }
  return files;
}

rmSync(REPORT, { force: true });
const first = spawnSync('npm', ['test'], { stdio: 'inherit' });
const results = read(REPORT);
// Every test file of the tree: one that never reported (its worker died) counts as not passed.
const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', 'test'], { encoding: 'utf8' });
const all = (listed.stdout ?? '').split('\n').filter((f) => /\.test\.ts$/.test(f));
const notPassed = all.filter((f) => !results.get(f)?.ok);
const flaky = [];
if (first.status !== 0 && notPassed.length > 0 && notPassed.length <= 5) {
  console.log(`${leg}: running again on their own: ${notPassed.join(' ')}`);
  rmSync(RERUN, { force: true });
  spawnSync(
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${RERUN}`, ...notPassed],
    {
      stdio: 'inherit',
    },
  );
  for (const [f, c] of read(RERUN)) {
    if (c.ok && !results.get(f)?.ok) flaky.push(f);
    results.set(f, c);
  }
  rmSync(RERUN, { force: true });
}
let passed = 0;
let failed = 0;
let skipped = 0;
for (const c of results.values()) {
  passed += c.passed;
  failed += c.failed;
  skipped += c.skipped;
}
const missing = all.filter((f) => !results.has(f));
for (const f of flaky) console.log(`${leg}: FLAKY (failed, then passed on its own): ${f}`);
for (const f of missing) console.log(`${leg}: no result for ${f} (its worker died)`);
// A file that did not pass without a failed test (an import error, a dead worker) counts as one.
const broken = all.filter((f) => !results.get(f)?.ok && !(results.get(f)?.failed > 0)).length;
const ok = passed > 0 && failed === 0 && broken === 0;
const line = `${leg}: ${passed} passed, ${failed + broken} failed${skipped ? `, ${skipped} skipped` : ''}`;
console.log(line);
if (process.argv[3]) writeFileSync(process.argv[3], `${line}\n`);
process.exit(ok ? 0 : 1);
