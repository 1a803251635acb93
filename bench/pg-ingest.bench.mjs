// PostgreSQL ingest (docs/benchmarks.md "PostgreSQL ingest"): one and three collector processes
// (`portdrift collector --data postgres://…`) on one local PostgreSQL, beside one collector on
// SQLite in the same run. SENDERS clients post batches as agents do (NDJSON, AGENTS agents with
// scoped tokens, batches spread round-robin over the collectors). Each case first loads every row
// (not timed), then times two cycles of the same ports: (i) steady state, 1 % of observations a
// change of state; (ii) every observation a change. Reported: acknowledged observations per
// second, and how much the database grew over the steady cycle (bytes) against the rows changed.
// Also the CPU each timed cycle cost (from /proc: the collector processes and the PostgreSQL
// backends serving the bench's database; not autovacuum, which the load cycle sets off), so that a
// shared machine still gives a per-core figure: observations per CPU-second of the collectors, of
// PostgreSQL, and of both.
// Needs PORTDRIFT_TEST_PG_URL (a user that may create databases; .ci/run exports one); without
// it the scenario says so and is skipped. BENCH_QUICK=1: small sizes, one run, no goal.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  batchHeader,
  createAgentTokens,
  here,
  modelArgs,
  obsLine,
  postBatches,
  requireBuilt,
  startCollector,
  stopAll,
  writeOrdersModel,
  writeResult,
} from './lib.mjs';

const admin = process.env.PORTDRIFT_TEST_PG_URL;
if (!admin) {
  console.log(
    'pg-ingest: skipped (PORTDRIFT_TEST_PG_URL is not set: a PostgreSQL URL whose user may create databases)',
  );
  process.exit(0);
}
const pgStore = join(here, '..', 'dist', 'collector', 'store', 'postgres', 'store.js');
const sqliteStore = join(here, '..', 'dist', 'collector', 'store', 'sqlite.js');
requireBuilt(pgStore, sqliteStore);
const { PostgresStore } = await import(pgStore);
const { SqliteStore } = await import(sqliteStore);

const QUICK = process.env.BENCH_QUICK === '1';
const PER_BATCH = Number(process.env.PER_BATCH ?? (QUICK ? 200 : 5000));
const BATCHES = Number(process.env.BATCHES ?? (QUICK ? 8 : 100));
const SENDERS = Number(process.env.SENDERS ?? 6);
const AGENTS = 8;
const CASES = QUICK
  ? [
      ['postgres', 1],
      ['postgres', 3],
      ['sqlite', 1],
    ]
  : [
      ['sqlite', 1],
      ['postgres', 1],
      ['postgres', 3],
    ];

const ipOf = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const baseState = (p) => (p % 10 === 0 ? 'open' : 'filtered');
const flip = (s) => (s === 'open' ? 'filtered' : 'open');

/** Batch i of a cycle: `changed(p)` says whether port p differs from the load cycle. */
function body(i, cycle, at, changed) {
  const ip = ipOf(i);
  const lines = [JSON.stringify(batchHeader(`c${cycle}-${i}`, `agent-${i % AGENTS}`, at))];
  lines.push(JSON.stringify({ t: 'sweep', host: ip, ip, ports: `1-${PER_BATCH}`, closed: '', at }));
  for (let p = 1; p <= PER_BATCH; p++) lines.push(obsLine(ip, p, changed(p) ? flip(baseState(p)) : baseState(p), at));
  return { id: `c${cycle}-${i}`, body: `${lines.join('\n')}\n` };
}

function spawnCollector(dir, data) {
  // BENCH_NODE_ARGS: node flags for the collectors (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return startCollector(['--data', data, ...modelArgs(dir), '--log-level', 'warn'], { cwd: dir, nodeArgs });
}

async function adminQuery(sql) {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

async function post(urls, tokens, batches) {
  const { seconds, lastFailure } = await postBatches(batches, {
    senders: SENDERS,
    urlOf: (i) => urls[i % urls.length],
    tokenOf: (i) => tokens[i % AGENTS],
  });
  if (lastFailure) throw new Error(`a batch was not acknowledged in full: ${lastFailure}`);
  return (batches.length * PER_BATCH) / seconds;
}

/** CPU seconds (user + system) of these processes so far; a process gone counts 0. */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

async function runCase(kind, replicas) {
  const dir = mkdtempSync(join(tmpdir(), 'pd-pg-ingest-'));
  const name = `pd_bench_${process.pid}_${replicas}`;
  const hosts = Array.from({ length: BATCHES }, (_, i) => ipOf(i));
  writeOrdersModel(dir, hosts);
  let data = join(dir, 'pd.db');
  if (kind === 'postgres') {
    await adminQuery(`CREATE DATABASE ${name}`);
    const u = new URL(admin);
    u.pathname = `/${name}`;
    data = u.toString();
  }
  const procs = [];
  try {
    const store = kind === 'postgres' ? await PostgresStore.open(data) : new SqliteStore(data);
    const tokens = await createAgentTokens(store, AGENTS);
    await store.close();
    for (let r = 0; r < replicas; r++) procs.push(await spawnCollector(dir, data));
    const urls = procs.map((p) => p.url);
    const size = async () =>
      kind === 'postgres'
        ? Number((await adminQuery(`SELECT pg_database_size('${name}') AS b`))[0].b)
        : statSync(data).size;
    const cycle = (c, changed) =>
      Array.from({ length: BATCHES }, (_, i) => body(i, c, new Date(Date.now() + c * 1000).toISOString(), changed));
    await post(
      urls,
      tokens,
      cycle(0, () => false),
    );
    const backends = async () =>
      kind === 'postgres'
        ? (
            await adminQuery(
              `SELECT pid FROM pg_stat_activity WHERE datname = '${name}' AND backend_type = 'client backend'`,
            )
          ).map((r) => r.pid)
        : [];
    // CPU of one timed cycle: the collectors' and the database backends' (those serving it after).
    const timed = async (c, changed) => {
      const bodies = cycle(c, changed);
      const pids = procs.map((p) => p.child.pid);
      const pg0 = new Map((await backends()).map((pid) => [pid, cpuSeconds([pid])]));
      const col0 = cpuSeconds(pids);
      const rate = await post(urls, tokens, bodies);
      let pgCpu = 0;
      for (const pid of await backends()) pgCpu += cpuSeconds([pid]) - (pg0.get(pid) ?? 0);
      const colCpu = cpuSeconds(pids) - col0;
      const n = BATCHES * PER_BATCH;
      return {
        rate,
        collectorCpu: colCpu,
        pgCpu,
        perCollectorCpu: Math.round(n / colCpu),
        perPgCpu: kind === 'postgres' ? Math.round(n / pgCpu) : null,
        perCpu: Math.round(n / (colCpu + pgCpu)),
      };
    };
    const before = await size();
    const steadyRun = await timed(1, (p) => p % 100 === 0);
    const steady = steadyRun.rate;
    const grown = (await size()) - before;
    const allRun = await timed(2, () => true);
    const all = allRun.rate;
    return {
      steady: Math.round(steady),
      all: Math.round(all),
      steadyGrowthBytes: grown,
      cpu: { steady: { ...steadyRun, rate: undefined }, all: { ...allRun, rate: undefined } },
    };
  } finally {
    await stopAll(procs);
    if (kind === 'postgres') await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = {};
const load = [loadavg()[0]];
for (const [kind, replicas] of CASES) {
  const r = await runCase(kind, replicas);
  load.push(loadavg()[0]);
  results[`${kind}/${replicas}`] = r;
  console.log(
    `${kind}, ${replicas} collector(s): steady (1 % change) ${r.steady.toLocaleString('en')} obs/s, all-change ` +
      `${r.all.toLocaleString('en')} obs/s; database growth over the steady cycle ` +
      `${r.steadyGrowthBytes.toLocaleString('en')} bytes (${BATCHES} batches ` +
      `× ${PER_BATCH}, ${SENDERS} senders${QUICK ? ', quick run' : ''})`,
  );
  const per = (x) =>
    `${x.perCpu.toLocaleString('en')} obs per CPU-second (collectors ${x.perCollectorCpu.toLocaleString('en')}` +
    `${x.perPgCpu === null ? '' : `, PostgreSQL ${x.perPgCpu.toLocaleString('en')}`})`;
  console.log(`  CPU: steady ${per(r.cpu.steady)}; all-change ${per(r.cpu.all)}`);
}
writeResult('pg-ingest', {
  date: new Date().toISOString(),
  node: process.version,
  perBatch: PER_BATCH,
  batches: BATCHES,
  senders: SENDERS,
  loadAverage1m: load.map((x) => Math.round(x * 10) / 10),
  results,
});
console.log(`load average (1 min) at the start and after each case: ${load.map((x) => x.toFixed(1)).join(', ')}`);
