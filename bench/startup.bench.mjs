// Start-up (docs/benchmarks.md): `portdrift --version`, `--help` and `completion bash` answer
// within 2× of bare Node, since each command loads its modules only when it runs. Every command
// line is run RUNS times, alternating, as a whole process (spawnSync, wall time); medians and the
// ratio to `node -e ''` in the same run. `scan --help` and `probe --help` are reported beside them
// (no bar: they build one command). Writes bench/results/startup.json.
// Needs `npm run build` first (npm run bench builds). BENCH_QUICK=1: 3 runs, no bar.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { main, median, requireBuilt, writeResult } from './lib.mjs';

requireBuilt();
const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = QUICK ? 3 : 15;
const BAR = 2;

const lines = [
  { id: 'node -e ""', argv: ['-e', ''], bar: false },
  { id: 'portdrift --version', argv: [main, '--version'], bar: true },
  { id: 'portdrift --help', argv: [main, '--help'], bar: true },
  { id: 'portdrift completion bash', argv: [main, 'completion', 'bash'], bar: true },
  { id: 'portdrift scan --help', argv: [main, 'scan', '--help'], bar: false },
  { id: 'portdrift probe --help', argv: [main, 'probe', '--help'], bar: false },
];

const times = new Map(lines.map((l) => [l.id, []]));
for (let r = 0; r < RUNS; r++) {
  for (const l of lines) {
    const t0 = performance.now();
    const p = spawnSync(process.execPath, l.argv, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    const ms = performance.now() - t0;
    if (p.status !== 0) {
      console.error(`${l.id} exited ${p.status}: ${p.stderr}`);
      process.exit(1);
    }
    times.get(l.id).push(ms);
  }
}
const bare = median(times.get(lines[0].id));
const results = lines.map((l) => {
  const m = median(times.get(l.id));
  return { command: l.id, medianMs: Math.round(m), ratio: Math.round((m / bare) * 100) / 100, bar: l.bar ? BAR : null };
});
let pass = true;
for (const r of results) {
  const verdict = r.bar === null || QUICK ? '' : r.ratio <= BAR ? ' (bar ≤ 2×: PASS)' : ' (bar ≤ 2×: FAIL)';
  if (r.bar !== null && r.ratio > BAR) pass = false;
  console.log(
    `${r.command.padEnd(28)} median ${String(r.medianMs).padStart(5)} ms  ${r.ratio.toFixed(2)}× bare node${verdict}`,
  );
}
console.log(
  `${RUNS} runs each, alternating; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const out = { date: new Date().toISOString(), node: process.version, runs: RUNS, results, pass };
writeResult('startup', out);
process.exit(QUICK || pass ? 0 : 1);
