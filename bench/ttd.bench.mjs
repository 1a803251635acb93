// Time to detect (docs/benchmarks.md#time-to-detect): a collector and an agent at their DEFAULT
// settings (interval 5m, cycles 2, checkInterval 15s, debounce 2s; the agent with no timing flag)
// in a network namespace of the lab, every host with a declared service on 5432. Once the agent's
// first sweep is in, each run waits a random 0-15 s (so the move falls anywhere in the check
// cycle), moves one host's service to 5433 (t0: its 5432 listener stops, a 5433 one starts), and
// polls `portdrift drift --format json` inside the namespace until it lists `moved` for that
// host (t1: when that poll returned). RUNS runs per scale, each on another host; median and
// worst. Scales: HOSTS (default 10 and 1000): 1,000 addresses 127.1.x.y on the namespace's
// loopback, all probed by the one agent. BENCH_QUICK=1: 5 hosts, 1 run, the agent with
// --check-interval 2s (the only non-default: a smoke run in CI, not a figure), no bar. Bar: median
// ≤ 60 s at 1,000 hosts. Needs root (the lab) and `npx tsc -p tsconfig.json` first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoloLab, labUnavailable } from '../test/lab/netns.mjs';
import {
  createTokenCli,
  daemon,
  main,
  median,
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
const SCALES = (process.env.HOSTS ?? (QUICK ? '5' : '10,1000')).split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? (QUICK ? 1 : 5));
const BAR_MS = 60_000;
// The default check interval: the move falls at a random phase of it.
const CHECK_MS = QUICK ? 2000 : 15_000;
const DETECT_LIMIT_MS = 15 * 60_000; // a run that sees nothing for this long has failed

const unavailable = labUnavailable();
if (unavailable) {
  console.log(`ttd: skipped (${unavailable})`);
  process.exit(QUICK ? 0 : 1);
}

const ipOf = (i) => `127.1.${(i + 1) >> 8}.${(i + 1) & 255}`;

async function waitFor(what, fn, limitMs) {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`ttd: no ${what} within ${limitMs} ms`);
    await sleep(200);
  }
}

async function drift(ns, url, reader) {
  const r = await ns.run([process.execPath, main, 'drift', '--collector', url, '--token', reader, '--format', 'json'], {
    timeoutMs: 60_000,
  });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}

async function scale(hosts) {
  const lab = await createSoloLab();
  const dir = mkdtempSync(join(tmpdir(), 'pd-ttd-bench-'));
  const procs = [];
  const listeners = [];
  try {
    const ips = Array.from({ length: hosts }, (_, i) => ipOf(i));
    // The hosts that move, one per run, spread over the estate; each has its own listener.
    const movers = Array.from({ length: RUNS }, (_, r) => ips[Math.floor(((r + 0.5) * hosts) / RUNS)]);
    const still = ips.filter((ip) => !movers.includes(ip));
    if (still.length) listeners.push(await lab.listen(still.map((ip) => `${ip}:5432`)));
    const own = new Map();
    for (const ip of movers) own.set(ip, await lab.listen([`${ip}:5432`]));
    writeOrdersModel(dir, ips, { engine: true });
    const data = join(dir, 'pd.db');
    const agentToken = createTokenCli(data, 'agent', 'bench-agent', '127.0.0.0/8');
    const reader = createTokenCli(data, 'reader', 'bench-reader');
    // Defaults only: no interval, cycles, check interval or debounce is given.
    const collector = await startCollector(['--data', data, ...modelArgs(dir)], { netns: lab.client.name });
    procs.push(collector);
    const { url } = collector;
    const quick = QUICK ? ['--check-interval', `${CHECK_MS}ms`] : [];
    const agent = daemon(['agent', '--collector', url, '--name', 'bench-agent', '--scope', '127.0.0.0/8', ...quick], {
      netns: lab.client.name,
      env: { PORTDRIFT_TOKEN: agentToken },
    });
    procs.push(agent);
    const firstSweep = await waitFor(
      'first sweep',
      () => agent.messages.find((m) => m.msg === 'sweep done'),
      10 * 60_000,
    );
    await waitFor(
      'every host observed',
      async () => (await drift(lab.client, url, reader))?.summary?.observed >= hosts,
      60_000,
    );
    console.log(
      `  ${hosts} hosts: first sweep ${firstSweep.summary.probes.toLocaleString('en')}` +
        ` probes in ${firstSweep.summary.seconds} s`,
    );
    const runs = [];
    for (const ip of movers) {
      await sleep(Math.random() * CHECK_MS);
      const t0 = Date.now();
      await own.get(ip).stop();
      listeners.push(await lab.listen([`${ip}:5433`]));
      const d = await waitFor(
        `moved finding for ${ip}`,
        async () => {
          const j = await drift(lab.client, url, reader);
          return j?.findings?.some((f) => f.kind === 'moved' && f.host === ip && f.observedPort === 5433) ? j : null;
        },
        DETECT_LIMIT_MS,
      );
      const ms = Date.now() - t0;
      runs.push(ms);
      console.log(
        `  ${hosts} hosts, run ${runs.length}: ${ip} moved 5432→5433, listed ` +
          `after ${(ms / 1000).toFixed(1)} s (${d.findings.length} findings)`,
      );
    }
    const confirmed = agent.messages.filter(
      (m) => m.msg === 'declared port changed, confirmed by an immediate re-probe; sent at once',
    ).length;
    return {
      hosts,
      runsMs: runs,
      firstSweepSeconds: firstSweep.summary.seconds,
      firstSweepProbes: firstSweep.summary.probes,
      confirmed,
    };
  } finally {
    await stopAll(procs);
    for (const l of listeners) await l.stop().catch(() => undefined);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = {};
let ok = true;
for (const hosts of SCALES) {
  const r = await scale(hosts);
  const med = median(r.runsMs);
  const worst = Math.max(...r.runsMs);
  results[`${hosts}`] = { ...r, medianMs: med, worstMs: worst };
  const bar = hosts >= 1000 && !QUICK ? `; bar median ≤ ${BAR_MS / 1000} s: ${med <= BAR_MS ? 'met' : 'NOT met'}` : '';
  if (bar && med > BAR_MS) ok = false;
  console.log(
    `ttd at ${hosts} hosts: median ${(med / 1000).toFixed(1)} s, worst ${(worst / 1000).toFixed(1)}` +
      ` s over ${r.runsMs.length} runs${QUICK ? ' (quick run, no bar)' : bar}`,
  );
}
writeResult('ttd', { date: new Date().toISOString(), node: process.version, runs: RUNS, results });
process.exit(ok ? 0 : 1);
