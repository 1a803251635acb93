// Drift-engine bar (docs/benchmarks.md): 10,000 resources and 1,000,000 observations →
// findings in under 1 s. The input is generated in this process (not timed): 10,000 resources on
// 2,500 hosts (4 per host), 2 declared listen ports each (20,000 endpoints), and per host 400
// observations — its declared ports, their ±10 neighbourhoods and common ports — with drift
// mixed in: ~2% of declared ports moved one port up, ~1% missing, ~1% filtered, and one stray
// open port on every tenth host. Only computeDrift is timed, 5 runs (median), once without a
// freshness window and once with one (every observation then also passes a time check).
// Needs `npx tsc -p tsconfig.json` first (npm run bench builds).
import { join } from 'node:path';
import { here, median, requireBuilt, writeResult } from './lib.mjs';

const engine = join(here, '..', 'dist', 'shared', 'drift', 'index.js');
requireBuilt(engine);
const { computeDrift } = await import(engine);

// BENCH_QUICK=1 (CI): 400 resources, one run, no bar: proves the scenario still runs end to end.
const QUICK = process.env.BENCH_QUICK === '1';
const RESOURCES = QUICK ? 400 : 10_000;
const PER_HOST = 4;
const HOSTS = RESOURCES / PER_HOST;
const OBS_PER_HOST = 400;
const RUNS = QUICK ? 1 : 5;
const BAR_MS = 1000;
const NOW = '2026-11-24T09:00:00.000Z';
const AT = '2026-11-24T08:59:30.000Z';
const COMMON = [22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9090, 9100, 9200, 27017];

// A deterministic generator, so every run and every machine sees the same input.
let seed = 42;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

const resources = [];
const endpoints = [];
const observations = [];
for (let h = 0; h < HOSTS; h++) {
  const host = `10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`;
  const declared = [];
  for (let k = 0; k < PER_HOST; k++) {
    const address = `aws_instance.svc_${h}_${k}`;
    resources.push({
      address,
      type: 'aws_instance',
      source: { file: `svc${h % 500}.tf`, line: 1 + k * 20 },
      hosts: [host],
    });
    for (let j = 0; j < 2; j++) {
      const port = 10000 + k * 1000 + j * 100 + (h % 50);
      declared.push(port);
      endpoints.push({
        resource: address,
        host,
        port,
        protocol: 'tcp',
        role: 'listen',
        source: { file: `svc${h % 500}.tf`, line: 3 + k * 20 + j },
      });
    }
  }
  const states = new Map();
  for (const p of declared) {
    for (let d = -10; d <= 10; d++) states.set(p + d, 'closed');
    const r = rand();
    if (r < 0.02)
      states.set(p + 1, 'open'); // moved: the declared one stays closed
    else if (r < 0.03) {
      /* missing */
    } else if (r < 0.04) states.set(p, 'filtered');
    else states.set(p, 'open');
  }
  for (const p of COMMON) states.set(p, p === 22 ? 'open' : 'closed');
  if (h % 10 === 0) states.set(9229, 'open');
  // Fill up to OBS_PER_HOST with closed ports from the top of the range.
  for (let p = 60000; states.size < OBS_PER_HOST; p++) states.set(p, 'closed');
  for (const [port, state] of states) {
    observations.push({
      agent: `agent-${h % 8}`,
      host,
      ip: host,
      port,
      state,
      rttMs: state === 'filtered' ? null : 0.3,
      at: AT,
    });
  }
}
const model = { resources, endpoints, unresolved: [], problems: [] };
console.log(
  `input: ${resources.length} resources, ${endpoints.length} ` +
    `endpoints on ${HOSTS} hosts, ${observations.length} observations`,
);

function measure(label, options) {
  const runs = [];
  let report;
  for (let r = 0; r < RUNS; r++) {
    globalThis.gc?.();
    const t0 = performance.now();
    report = computeDrift(model, observations, options);
    runs.push(Math.round(performance.now() - t0));
  }
  const ms = median(runs);
  console.log(
    `${label}: median ${ms} ms, runs ${runs.join(', ')} ms; ` +
      `${report.summary.findings} findings ${JSON.stringify(report.summary.byKind)}`,
  );
  return { label, median: ms, runs, summary: report.summary };
}

const results = [
  measure('no freshness window', { now: NOW }),
  measure('freshness window 15m', { now: NOW, freshnessMs: 15 * 60_000 }),
];
const worst = Math.max(...results.map((r) => r.median));
const pass = QUICK || worst < BAR_MS;
console.log(
  `worst median ${worst} ms (${QUICK ? 'quick run, no bar' : `bar < ${BAR_MS} ms: ${pass ? 'PASS' : 'FAIL'}`})`,
);
writeResult('drift', {
  date: new Date().toISOString(),
  node: process.version,
  resources: resources.length,
  endpoints: endpoints.length,
  observations: observations.length,
  results,
  barMs: BAR_MS,
  pass,
});
process.exit(pass ? 0 : 1);
