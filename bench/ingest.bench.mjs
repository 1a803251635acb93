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
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', 'dist', 'cli', 'main.js');
const storeModule = join(here, '..', 'dist', 'collector', 'store', 'sqlite.js');
if (!existsSync(main) || !existsSync(storeModule)) {
  console.error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  process.exit(1);
}
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
  const lines = [
    JSON.stringify({
      t: 'batch',
      v: 1,
      batchId: `bench-${i}`,
      agent: `agent-${i % AGENTS}`,
      agentVersion: '0.1.0',
      planRevision: null,
      startedAt: at,
      finishedAt: at,
      spoolDropped: 0,
      spoolDepth: 0,
    }),
  ];
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
  for (let p = base + 1; p <= base + PER_BATCH; p++) {
    const state = p % 10 === 0 ? 'open' : 'filtered';
    lines.push(
      `{"t":"obs","host":"${ip}","ip":"${ip}","port":${p},"state":"` +
        `${state}","rttMs":${state === 'open' ? 0.3 : null},"at":"${at}"}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function startCollector(dir, mode, scenario) {
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
    const hosts = Array.from({ length: BATCHES }, (_, i) => ipOf(i, scenario));
    writeFileSync(join(dir, 'main.tf'), 'resource "aws_db_instance" "orders" {\n  port = 5432\n}\n');
    writeFileSync(
      join(dir, 'targets.yaml'),
      `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${hosts.join(', ')}]\n`,
    );
  }
  const args = [
    main,
    'collector',
    '--listen',
    '127.0.0.1:0',
    '--data',
    join(dir, 'pd.db'),
    '--iac',
    join(dir, 'main.tf'),
    '--targets',
    join(dir, 'targets.yaml'),
    '--log-level',
    'warn',
    '--synchronous',
    mode,
    '--store-thread',
    process.env.STORE_THREAD ?? 'true',
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`collector did not start:\n${err}`)), 30_000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => reject(new Error(`collector exited ${code}:\n${err}`)));
  });
  return { proc, url };
}

async function run(mode, scenario) {
  const dir = mkdtempSync(join(tmpdir(), 'pd-ingest-bench-'));
  try {
    const store = new SqliteStore(join(dir, 'pd.db'));
    const tokens = [];
    for (let a = 0; a < AGENTS; a++) {
      const now = new Date().toISOString();
      tokens.push((await store.createToken({ name: `agent-${a}`, role: 'agent', scope: ['10.0.0.0/8'], now })).token);
    }
    await store.close();
    const at = new Date().toISOString();
    const bodies = Array.from({ length: BATCHES }, (_, i) => body(i, at, scenario));
    const { proc, url } = await startCollector(dir, mode, scenario);
    const target = new URL('/v1/observations', url);
    let next = 0;
    let failures = 0;
    let lastFailure = '';
    const sender = async () => {
      while (next < BATCHES) {
        const i = next++;
        const r = await fetch(target, {
          method: 'POST',
          body: bodies[i],
          headers: {
            authorization: `Bearer ${tokens[i % AGENTS]}`,
            'content-type': 'application/x-ndjson',
            'idempotency-key': `bench-${i}`,
          },
        });
        const text = await r.text();
        // A batch the collector took only in part (records outside the model, or over the
        // per-agent row cap) would flatter the rate: it counts as a failure.
        let answer = {};
        try {
          answer = JSON.parse(text);
        } catch {}
        if (r.status !== 200 || answer.outsideModel || answer.capped) {
          failures++;
          lastFailure = `${r.status} ${text.slice(0, 200)}`;
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: SENDERS }, sender));
    const seconds = (performance.now() - t0) / 1000;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    const bytes = statSync(join(dir, 'pd.db')).size;
    if (failures) throw new Error(`${failures} batches were not acknowledged in full; last: ${lastFailure}`);
    return { seconds, rate: (BATCHES * PER_BATCH) / seconds, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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
mkdirSync(join(here, 'results'), { recursive: true });
const out = {
  date: new Date().toISOString(),
  node: process.version,
  perBatch: PER_BATCH,
  batches: BATCHES,
  senders: SENDERS,
  results,
};
writeFileSync(join(here, 'results', 'ingest.json'), `${JSON.stringify(out, null, 2)}\n`);
process.exit(QUICK || Object.values(results).every((r) => r.medianPerSecond >= BAR) ? 0 : 1);
