// Fleet load (docs/benchmarks.md#fleet-load): one collector process on 127.0.0.1 and AGENTS
// agents that each enroll themselves (POST /v1/enroll with one shared enroll secret, their own
// name and /32 scope) and then run the agent's wire protocol on their schedule from a load
// generator in this process: GET /v1/plan with If-None-Match, then one batch POST /v1/observations
// (Idempotency-Key; a sweep record of its host's declared and discovery ports, an obs record for
// the open declared port), then sleep the plan's interval ±10 %, the first cycle spread over one
// interval. The collector runs at its defaults except --interval INTERVAL (default 30s, the
// shortest schedule a plan can give default agents: ten times the default's load). Measured
// over DURATION after every agent enrolled: errors (any answer other than 2xx/304, or no answer;
// must be 0), request latency p50/p99/max per kind, the collector's RSS (VmRSS at the end and
// VmHWM, its peak), and `portdrift agents --format json` must list every agent, none late.
// BENCH_QUICK=1: 50 agents, interval 2s, 10 s. Needs `npx tsc -p tsconfig.json` first.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batchHeader,
  batchHeaders,
  cli,
  createTokenCli,
  modelArgs,
  requireBuilt,
  sleep,
  startCollector,
  stopAll,
  writeOrdersModel,
  writeResult,
} from './lib.mjs';

requireBuilt();
const QUICK = process.env.BENCH_QUICK === '1';
const AGENTS = Number(process.env.AGENTS ?? (QUICK ? 50 : 1000));
const INTERVAL = process.env.INTERVAL ?? (QUICK ? '2s' : '30s');
const DURATION_MS = Number(process.env.DURATION_MS ?? (QUICK ? 10_000 : 120_000));
const ENROLL_CONCURRENCY = 8;
const units = { ms: 1, s: 1000, m: 60_000 };
const intervalMs = Number(/^(\d+)(ms|s|m)$/.exec(INTERVAL)[1]) * units[/^(\d+)(ms|s|m)$/.exec(INTERVAL)[2]];

const ipOf = (i) => `10.60.${(i + 1) >> 8}.${(i + 1) & 255}`;

const dir = mkdtempSync(join(tmpdir(), 'pd-fleet-bench-'));
let collector;
try {
  const hosts = Array.from({ length: AGENTS }, (_, i) => ipOf(i));
  writeOrdersModel(dir, hosts, { engine: true });
  const data = join(dir, 'pd.db');
  const secret = createTokenCli(data, 'enroll', 'fleet', '10.60.0.0/16');
  const reader = createTokenCli(data, 'reader', 'bench-reader');
  collector = await startCollector(['--data', data, ...modelArgs(dir), '--interval', INTERVAL, '--log-level', 'warn']);
  const { url } = collector;
  const rss = () => {
    const s = readFileSync(`/proc/${collector.child.pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)[1]);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  };
  const idleRss = rss();

  const errors = [];
  const lat = { enroll: [], plan: [], batch: [] };
  async function request(kind, path, init) {
    const t0 = performance.now();
    try {
      const r = await fetch(new URL(path, url), init);
      const text = await r.text();
      lat[kind].push(performance.now() - t0);
      if (!(r.ok || r.status === 304)) errors.push(`${kind} ${r.status} ${text.slice(0, 200)}`);
      return { r, text };
    } catch (err) {
      lat[kind].push(performance.now() - t0);
      errors.push(`${kind} ${err.message}`);
      return null;
    }
  }

  // --- enrollment: every agent its own key --------------------------------------------------
  const keys = new Array(AGENTS);
  let next = 0;
  const t0Enroll = performance.now();
  await Promise.all(
    Array.from({ length: ENROLL_CONCURRENCY }, async () => {
      while (next < AGENTS) {
        const i = next++;
        const body = JSON.stringify({
          name: `agent-${i}`,
          host: `host-${i}`,
          version: '0.1.0',
          scope: [`${ipOf(i)}/32`],
        });
        const a = await request('enroll', '/v1/enroll', {
          method: 'POST',
          body,
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        });
        if (a?.r.status === 201) keys[i] = JSON.parse(a.text).key;
      }
    }),
  );
  const enrollSeconds = (performance.now() - t0Enroll) / 1000;
  if (keys.some((k) => !k)) throw new Error(`not every agent enrolled: ${errors.slice(0, 3).join('; ')}`);

  // --- the fleet on its schedule ----------------------------------------------------------------
  const DISCOVERY = '1-1024';
  const end = Date.now() + DURATION_MS;
  let batches = 0;
  async function agent(i) {
    const ip = ipOf(i);
    const auth = { authorization: `Bearer ${keys[i]}` };
    let etag = null;
    let every = intervalMs;
    await sleep(Math.random() * intervalMs);
    while (Date.now() < end) {
      const cycle = Date.now();
      const p = await request('plan', `/v1/plan?scope=${encodeURIComponent(`${ip}/32`)}`, {
        headers: { ...auth, ...(etag ? { 'if-none-match': etag } : {}) },
      });
      if (p?.r.status === 200) {
        etag = p.r.headers.get('etag');
        every = JSON.parse(p.text).intervalMs;
      }
      const at = new Date().toISOString();
      const batchId = randomUUID();
      const lines = [
        batchHeader(batchId, `agent-${i}`, at),
        { t: 'sweep', host: ip, ip, ports: `${DISCOVERY},5432`, closed: DISCOVERY, at },
        { t: 'obs', host: ip, ip, port: 5432, state: 'open', rttMs: 0.2, at },
      ];
      await request('batch', '/v1/observations', {
        method: 'POST',
        body: `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
        headers: batchHeaders(keys[i], batchId),
      });
      batches++;
      const wait = every * (0.9 + 0.2 * Math.random()) - (Date.now() - cycle);
      if (Date.now() + wait >= end) break;
      await sleep(wait);
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(i)));
  const seconds = (performance.now() - t0) / 1000;
  const loaded = rss();

  const listed = JSON.parse(
    cli(['agents', '--collector', url, '--token', reader, '--format', 'json'], { anyExit: true }),
  ).agents;
  const pct = (xs, q) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? +s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(1) : null;
  };
  const stat = (xs) => ({ n: xs.length, p50Ms: pct(xs, 0.5), p99Ms: pct(xs, 0.99), maxMs: pct(xs, 1) });
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    agents: AGENTS,
    interval: INTERVAL,
    seconds: +seconds.toFixed(1),
    enrollSeconds: +enrollSeconds.toFixed(1),
    errors: errors.length,
    firstErrors: errors.slice(0, 5),
    batches,
    batchesPerSecond: +(batches / seconds).toFixed(1),
    latency: { enroll: stat(lat.enroll), plan: stat(lat.plan), batch: stat(lat.batch) },
    collector: {
      idleRssMb: +idleRss.rssMb.toFixed(0),
      rssMb: +loaded.rssMb.toFixed(0),
      peakRssMb: +loaded.peakMb.toFixed(0),
    },
    listed: listed.length,
    late: listed.filter((a) => a.late).length,
  };
  console.log(JSON.stringify(result, null, 2));
  const ok = result.errors === 0 && result.listed === AGENTS && result.late === 0;
  console.log(
    `fleet-load: ${AGENTS} enrolled agents, ${batches} batches in ` +
      `${result.seconds} s (${result.batchesPerSecond}/s), errors ${result.errors}, ` +
      `p99 batch ${result.latency.batch.p99Ms} ms, plan ${result.latency.plan.p99Ms} ms; ` +
      `collector RSS ${result.collector.rssMb} MB (peak ${result.collector.peakRssMb} MB); ` +
      `agents listed ${result.listed}, late ${result.late}: ${ok ? 'ok' : 'FAILED'}`,
  );
  writeResult('fleet-load', result);
  process.exitCode = ok ? 0 : 1;
} finally {
  if (collector) await stopAll([collector]);
  rmSync(dir, { recursive: true, force: true });
}
