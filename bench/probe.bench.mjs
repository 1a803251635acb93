// Probe bars (docs/benchmarks.md): `portdrift probe` no slower than `nmap -sT -T5` side by
// side in one run, every open port found, no false open, filtered kept apart from closed, in
// 5 of 5 runs; peak RSS ≤ 100 MB in scenario (b). nmap -T4 is measured alongside for reference.
//   (a) 127.0.0.1 ports 1–65535, a few listeners, in a fresh namespace (nothing else listens);
//   (b) 64 server addresses × ports 1–1000 over a veth, four open per host, 901–1000 DROPped;
//   (c) (b) with 1 % random loss of inbound TCP packets on the server side.
// The tools alternate (the order rotates each round), each run in fresh namespaces, killed
// after 120 s (240 s under loss). Every run's accuracy is checked against the ground truth. Wall time and peak RSS
// come from test/lab/measure.py (the command alone, without `ip netns exec`), with CPU time
// (user + system), which shows what a run cost when other work shares the cores. Writes
// bench/results/probe.json; exits non-zero only when something crashed, never on a missed bar.
// Needs root, iproute2, iptables, nmap, python3, and `npm run build` (npm run bench builds).
// PD_BENCH_RUNS=N, PD_BENCH_SCENARIOS=a,b and PD_BENCH_TOOLS=portdrift,nmap-T5 narrow a run
// while experimenting.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canMeasureRss, createLab, createSoloLab, labUnavailable } from '../test/lab/netns.mjs';
import { readNmapXml, readPortdrift } from '../test/lab/outputs.mjs';
import { compare, describeAccuracy, probeCount } from '../test/lab/truth.mjs';
import { fmtMs, medianOrNull, writeResult } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const cli = join(root, 'dist', 'cli', 'main.js');
// BENCH_QUICK=1 (CI): one run of (a) and (b) against nmap -T5: proves the scenarios still run.
const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.PD_BENCH_RUNS ?? (QUICK ? 1 : 5));
const ONLY = (process.env.PD_BENCH_SCENARIOS ?? (QUICK ? 'a,b' : 'a,b,c')).split(',');
const RUN_TIMEOUT_MS = 120_000;
// Under loss nmap's congestion control slows it down a lot (-T4 took ~117 s in a trial run):
// scenario (c) gets more room so that the comparison has numbers rather than kills.
const LOSS_RUN_TIMEOUT_MS = 240_000;
const RSS_BAR_MB = 100;

function fatal(msg) {
  console.error(`probe bench: ${msg}`);
  process.exit(1);
}
const reason = labUnavailable();
if (reason) fatal(`the namespace lab is unusable: ${reason}`);
if (!existsSync(cli)) fatal(`${cli} is missing: run \`npm run build\` first`);
if (spawnSync('nmap', ['--version']).status !== 0) fatal('nmap is not installed');
if (!canMeasureRss()) console.warn('probe bench: python3 not found, peak RSS will not be measured');
const nmapVersion = /Nmap version (\S+)/.exec(spawnSync('nmap', ['--version'], { encoding: 'utf8' }).stdout)?.[1];

// ---------------------------------------------------------------------------------------------
// Scenarios: how to build the lab, the ground truth, and each tool's command line
// ---------------------------------------------------------------------------------------------

const SOLO_OPEN = [22, 80, 5432, 8080, 40000, 60001]; // 40000 and 60001 sit in the ephemeral range

/** Four open ports per host, all below the DROPped 901–1000, different from host to host. */
function hostOpen(i) {
  return [22, 80 + i, 443, 600 + ((i * 7) % 300)].sort((a, b) => a - b);
}

async function pairLab(loss) {
  const lab = await createLab({ hosts: 64 });
  const truth = {
    ports: [1, 1000],
    hosts: lab.addresses.map((ip, i) => ({ ip, open: hostOpen(i), filtered: [[901, 1000]] })),
  };
  await lab.listen(truth.hosts.flatMap((h) => h.open.map((port) => ({ ip: h.ip, port }))));
  lab.drop(901, 1000);
  if (loss) lab.loss(loss);
  return { lab, truth };
}

const scenarios = [
  {
    id: 'a',
    title: '(a) 127.0.0.1 × ports 1–65535, 6 open, fresh namespace',
    bars: true,
    async build() {
      const lab = await createSoloLab();
      await lab.listen(SOLO_OPEN.map((port) => ({ ip: '127.0.0.1', port })));
      return { lab, truth: { ports: [1, 65535], hosts: [{ ip: '127.0.0.1', open: SOLO_OPEN }] } };
    },
    hosts: () => ['127.0.0.1'],
    nmapTargets: () => ['127.0.0.1'],
    ports: '1-65535',
  },
  {
    id: 'b',
    title: '(b) 64 hosts × ports 1–1000 over veth, 4 open per host, 901–1000 DROPped (10 %)',
    bars: true,
    rssBar: true,
    build: () => pairLab(0),
    hosts: (lab) => lab.addresses,
    nmapTargets: () => ['10.231.0.1-64'],
    ports: '1-1000',
  },
  {
    id: 'c',
    title: '(c) = (b) with 1 % random loss of inbound TCP on the server side',
    bars: false,
    timeoutMs: LOSS_RUN_TIMEOUT_MS,
    build: () => pairLab(0.01),
    hosts: (lab) => lab.addresses,
    nmapTargets: () => ['10.231.0.1-64'],
    ports: '1-1000',
  },
].filter((s) => ONLY.includes(s.id));

const TOOLS = (process.env.PD_BENCH_TOOLS ?? (QUICK ? 'portdrift,nmap-T5' : 'portdrift,nmap-T5,nmap-T4')).split(',');
const tools = [
  {
    id: 'portdrift',
    argv: (s, lab) => [process.execPath, cli, 'probe', ...s.hosts(lab), '--ports', s.ports, '--format', 'json'],
  },
  {
    id: 'nmap-T5',
    argv: (s, lab) => ['nmap', '-sT', '-T5', '-n', '-Pn', `-p${s.ports}`, ...s.nmapTargets(lab), '-oX', '-'],
  },
  {
    id: 'nmap-T4',
    argv: (s, lab) => ['nmap', '-sT', '-T4', '-n', '-Pn', `-p${s.ports}`, ...s.nmapTargets(lab), '-oX', '-'],
  },
].filter((t) => TOOLS.includes(t.id));

// ---------------------------------------------------------------------------------------------
// Running and judging one run
// ---------------------------------------------------------------------------------------------

async function runOnce(s, tool) {
  const { lab, truth } = await s.build();
  try {
    const argv = tool.argv(s, lab);
    const load = loadavg()[0];
    const timeoutMs = s.timeoutMs ?? RUN_TIMEOUT_MS;
    const r = await lab.run(argv, { timeoutMs, cwd: root });
    const run = {
      tool: tool.id,
      wallMs: r.wallMs,
      cpuMs: r.cpuMs,
      rssMb: r.maxRssKb === null ? null : Math.round(r.maxRssKb / 102.4) / 10,
      load1: Math.round(load * 100) / 100,
      code: r.code,
      timedOut: r.timedOut,
      problems: [],
    };
    if (r.timedOut) run.problems.push(`killed after ${timeoutMs / 1000} s`);
    else if (r.code !== 0) run.problems.push(`exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-500)}`);
    const read = tool.id === 'portdrift' ? readPortdrift(r.stdout) : readNmapXml(r.stdout);
    run.problems.push(...read.problems);
    if (tool.id === 'portdrift' && read.summary && read.summary.probes !== probeCount(truth))
      run.problems.push(`summary.probes = ${read.summary.probes}, expected ${probeCount(truth)}`);
    if (tool.id !== 'portdrift') {
      const short = [...read.perHost].filter(([, n]) => n !== truth.ports[1] - truth.ports[0] + 1);
      if (read.perHost.size !== truth.hosts.length || short.length)
        run.problems.push(
          `nmap reported ${read.perHost.size} hosts, ${short.length} with a port count other than the range`,
        );
    }
    if (tool.id === 'portdrift' && read.summary) run.reportedSeconds = read.summary.seconds;
    const acc = compare(truth, read.results);
    run.accuracy = acc;
    run.exact = acc.exact && run.problems.length === 0 && !r.timedOut && r.code === 0;
    return run;
  } finally {
    await lab.destroy();
  }
}

const pad = (s, n) => String(s).padEnd(n);

function uptime() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const started = new Date();
const out = {
  scenario: 'probe',
  date: started.toISOString(),
  node: process.version,
  nmap: nmapVersion,
  cores: cpus().length,
  runsPerTool: RUNS,
  loadBefore: uptime(),
  scenarios: [],
};
console.log(
  `probe bench: ${RUNS} runs per tool, tools alternate; load average ${out.loadBefore}` +
    `; ${cpus().length} cores; nmap ${nmapVersion}; node ${process.version}`,
);

let crashed = false;
for (const s of scenarios) {
  console.log(`\n${s.title}`);
  const runs = [];
  for (let round = 0; round < RUNS; round++) {
    // Rotate the order so that no tool always runs first (or last) in a round.
    const order = tools.map((_, i) => tools[(i + round) % tools.length]);
    for (const tool of order) {
      let run;
      try {
        run = await runOnce(s, tool);
      } catch (err) {
        crashed = true;
        console.error(`  ${tool.id} round ${round + 1}: CRASH ${err.stack ?? err}`);
        continue;
      }
      run.round = round + 1;
      runs.push(run);
      const rss = run.rssMb === null ? '' : `CPU ${fmtMs(run.cpuMs)}, RSS ${run.rssMb} MB, `;
      console.log(
        `  round ${run.round} ${pad(tool.id, 10)} ${pad(fmtMs(run.wallMs), 11)} ${rss}load ${run.load1}` +
          `: ${describeAccuracy(run.accuracy)}${run.problems.length ? ` — ${run.problems.join('; ')}` : ''}`,
      );
      if (!run.accuracy.exact && run.accuracy.mismatches.length)
        console.log(`      e.g. ${run.accuracy.mismatches.slice(0, 5).join('; ')}`);
    }
  }
  const per = {};
  for (const tool of tools) {
    const mine = runs.filter((r) => r.tool === tool.id);
    const ms = mine.filter((r) => !r.timedOut).map((r) => r.wallMs);
    per[tool.id] = {
      runs: mine.length,
      medianMs: medianOrNull(ms),
      medianCpuMs: medianOrNull(mine.map((r) => r.cpuMs)),
      minMs: ms.length ? Math.min(...ms) : null,
      maxMs: ms.length ? Math.max(...ms) : null,
      medianRssMb: medianOrNull(mine.map((r) => r.rssMb)),
      maxRssMb: mine.some((r) => r.rssMb !== null) ? Math.max(...mine.map((r) => r.rssMb ?? 0)) : null,
      exactRuns: mine.filter((r) => r.exact).length,
      accuracy: mine.map((r) => describeAccuracy(r.accuracy)),
    };
  }
  const none = { runs: 0, medianMs: null, maxRssMb: null, exactRuns: 0 };
  const pd = per.portdrift ?? none;
  const ratio = (other) =>
    pd.medianMs && per[other]?.medianMs ? Math.round((pd.medianMs / per[other].medianMs) * 100) / 100 : null;
  const summary = {
    id: s.id,
    title: s.title,
    tools: per,
    ratioT5: ratio('nmap-T5'),
    ratioT4: ratio('nmap-T4'),
    load: uptime(),
    runs,
  };
  console.log(
    `\n  ${pad('tool', 10)} ${pad('median', 11)} ${pad('min', 11)} ` +
      `${pad('max', 11)} ${pad('CPU median', 11)} ${pad('RSS median', 11)} exact runs`,
  );
  for (const tool of tools) {
    const t = per[tool.id];
    console.log(
      `  ${pad(tool.id, 10)} ${pad(fmtMs(t.medianMs), 11)} ${pad(fmtMs(t.minMs), 11)} ${pad(fmtMs(t.maxMs), 11)} ` +
        `${pad(fmtMs(t.medianCpuMs), 11)} ` +
        `${pad(t.medianRssMb === null ? '—' : `${t.medianRssMb} MB`, 11)} ${t.exactRuns}/${t.runs}`,
    );
  }
  console.log(
    `  portdrift/nmap-T5 ${summary.ratioT5 ?? '—'}, portdrift/nmap-T4 ` +
      `${summary.ratioT4 ?? '—'}; load average now ${summary.load}`,
  );
  const verdicts = [];
  if (s.bars) {
    const fast = summary.ratioT5 !== null && summary.ratioT5 <= 1;
    verdicts.push({
      bar: `speed ${s.id}: portdrift median ≤ nmap -sT -T5 median`,
      pass: fast,
      detail: `ratio ${summary.ratioT5}`,
    });
    verdicts.push({
      bar: `accuracy ${s.id}: exact in ${RUNS} of ${RUNS} runs`,
      pass: pd.exactRuns === RUNS && pd.runs === RUNS,
      detail: `${pd.exactRuns}/${pd.runs}`,
    });
  }
  if (s.rssBar)
    verdicts.push({
      bar: `memory ${s.id}: peak RSS ≤ ${RSS_BAR_MB} MB`,
      pass: pd.maxRssMb !== null && pd.maxRssMb <= RSS_BAR_MB,
      detail: `max ${pd.maxRssMb} MB`,
    });
  for (const v of verdicts) console.log(`  bar: ${v.bar}: ${v.pass ? 'PASS' : 'FAIL'} (${v.detail})`);
  if (!s.bars) console.log('  (no bar for this scenario: reported for information)');
  summary.verdicts = verdicts;
  out.scenarios.push(summary);
}

out.loadAfter = uptime();
out.seconds = Math.round((Date.now() - started.getTime()) / 1000);
writeResult('probe', out);
console.log(
  `\nwrote bench/results/probe.json (${out.seconds} s; load average before ${out.loadBefore}, after ${out.loadAfter})`,
);
process.exitCode = crashed ? 1 : 0;
