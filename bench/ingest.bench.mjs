// Collector ingest bar (docs/benchmarks.md): ≥ 100,000 observations/s sustained over HTTP
// into the store on 2 cores. A real collector process (`node dist/cli/main.js collector`) on
// 127.0.0.1 with a fresh SQLite file; SENDERS concurrent clients (global fetch, keep-alive) post
// BATCHES batches of PER_BATCH observation records as NDJSON as AGENTS agents, each with its own
// scoped agent token (the collector refuses a batch under another agent's name, and records of
// hosts that no IaC names are dropped, so every address written is declared). Each batch is on
// its own address so every record is a new row (the worst case: the table only grows). Bodies are built before the
// clock starts; the clock runs from the first request to the last acknowledgement, so the figure
// is acknowledged (committed) observations per second. RUNS runs per SQLite sync mode, median.
// The sender and the collector share the machine's two cores, as an agent-side load would not:
// the figure is conservative. Needs `npx tsc -p tsconfig.json` first (npm run bench builds).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batchHeader,
  createAgentTokens,
  here,
  median,
  modelArgs,
  obsLine,
  postBatches,
  requireBuilt,
  startCollector,
  stopAll,
  writeOrdersModel,
  writeResult,
} from './lib.mjs';

const storeModule = join(here, '..', 'dist', 'collector', 'store', 'sqlite.js');
requireBuilt(storeModule);
const { SqliteStore } = await import(storeModule);

// BENCH_QUICK=1 (CI): small sizes, one run, no bar: proves the scenario still runs end to end.
const QUICK = process.env.BENCH_QUICK === '1';
const PER_BATCH = Number(process.env.PER_BATCH ?? (QUICK ? 200 : 5000));
const BATCHES = Number(process.env.BATCHES ?? (QUICK ? 16 : 200));
const SENDERS = Number(process.env.SENDERS ?? 4);
const RUNS = Number(process.env.RUNS ?? (QUICK ? 1 : 3));
const MODES = (process.env.MODES ?? 'full,normal').split(',');
// `drift`: the model declares every address the batches write to (DRIFT_HOSTS hosts), so each
// debounced drift evaluation during ingest reads and judges the growing current state.
const SCENARIOS = (process.env.SCENARIOS ?? 'plain,drift').split(',');
const DRIFT_HOSTS = 200;
const BAR = 100_000;
const AGENTS = 8;

const ipOf = (i, scenario) =>
  scenario === 'drift'
    ? `10.200.${(i % DRIFT_HOSTS) >> 8}.${(i % DRIFT_HOSTS) & 255}`
    : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function body(i, at, scenario) {
  const ip = ipOf(i, scenario);
  // In the drift scenario several batches hit one host: shift the port window so each batch
  // still writes new rows.
  const base = scenario === 'drift' ? 1000 + Math.floor(i / DRIFT_HOSTS) * PER_BATCH : 1000;
  const lines = [JSON.stringify(batchHeader(`bench-${i}`, `agent-${i % AGENTS}`, at))];
  // One sweep of the address (ports 1-PER_BATCH+1000 probed, the first 1000 closed) plus one
  // record per non-closed port, as the agent's batch builder writes them.
  lines.push(
    JSON.stringify({
      t: 'sweep',
      host: ip,
      ip,
      ports: `${base - 999}-${base + PER_BATCH}`,
      closed: `${base - 999}-${base}`,
      at,
    }),
  );
  for (let p = base + 1; p <= base + PER_BATCH; p++) lines.push(obsLine(ip, p, p % 10 === 0 ? 'open' : 'filtered', at));
  return `${lines.join('\n')}\n`;
}

/** Writes the scenario's model into `dir` and starts a collector on a fresh SQLite file there. */
function collector(dir, mode, scenario) {
  if (scenario === 'drift') {
    const tf = [];
    const targets = ['targets:'];
    for (let h = 0; h < DRIFT_HOSTS; h++) {
      tf.push(
        `resource "aws_db_instance" "db_${h}" {\n  port = 5432\n}\n`,
        `resource "aws_elasticache_cluster" "cache_${h}" {\n  port = 6379\n}\n`,
      );
      targets.push(`  - resource: "*_${h}"`, `    hosts: [${ipOf(h, scenario)}]`);
    }
    writeFileSync(join(dir, 'main.tf'), tf.join('\n'));
    writeFileSync(join(dir, 'targets.yaml'), `${targets.join('\n')}\n`);
  } else {
    // One declared resource on every address the batches write to: nothing is dropped as
    // outside the model, and each evaluation has one endpoint per host to judge.
    writeOrdersModel(
      dir,
      Array.from({ length: BATCHES }, (_, i) => ipOf(i, scenario)),
    );
  }
  return startCollector([
    '--data',
    join(dir, 'pd.db'),
    ...modelArgs(dir),
    '--log-level',
    'warn',
    '--synchronous',
    mode,
    '--store-thread',
    process.env.STORE_THREAD ?? 'true',
  ]);
}

async function run(mode, scenario) {
  const dir = mkdtempSync(join(tmpdir(), 'pd-ingest-bench-'));
  let proc;
  try {
    const store = new SqliteStore(join(dir, 'pd.db'));
    const tokens = await createAgentTokens(store, AGENTS);
    await store.close();
    const at = new Date().toISOString();
    const batches = Array.from({ length: BATCHES }, (_, i) => ({ id: `bench-${i}`, body: body(i, at, scenario) }));
    proc = await collector(dir, mode, scenario);
    const { seconds, failures, lastFailure } = await postBatches(batches, {
      senders: SENDERS,
      urlOf: () => proc.url,
      tokenOf: (i) => tokens[i % AGENTS],
    });
    await stopAll([proc]);
    const bytes = statSync(join(dir, 'pd.db')).size;
    if (failures) throw new Error(`${failures} batches were not acknowledged in full; last: ${lastFailure}`);
    return { seconds, rate: (BATCHES * PER_BATCH) / seconds, bytes };
  } finally {
    if (proc) await stopAll([proc]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = {};
for (const scenario of SCENARIOS)
  for (const mode of scenario === 'drift' ? ['full'] : MODES) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run(mode, scenario));
    const rate = median(runs.map((r) => r.rate));
    results[`${scenario}/${mode}`] = {
      medianPerSecond: Math.round(rate),
      runsPerSecond: runs.map((r) => Math.round(r.rate)),
      seconds: runs.map((r) => +r.seconds.toFixed(2)),
      storeBytes: runs[0].bytes,
    };
    console.log(
      `${scenario}, synchronous=${mode}: median ${Math.round(rate).toLocaleString('en')} observations/s (runs: ` +
        `${runs.map((r) => Math.round(r.rate).toLocaleString('en')).join(', ')}); ${BATCHES} batches × ` +
        `${PER_BATCH}, ${SENDERS} senders; ` +
        `${QUICK ? 'quick run, no bar' : `bar ${BAR.toLocaleString('en')}/s: ${rate >= BAR ? 'met' : 'NOT met'}`}`,
    );
  }
const out = {
  date: new Date().toISOString(),
  node: process.version,
  perBatch: PER_BATCH,
  batches: BATCHES,
  senders: SENDERS,
  results,
};
writeResult('ingest', out);
process.exit(QUICK || Object.values(results).every((r) => r.medianPerSecond >= BAR) ? 0 : 1);
