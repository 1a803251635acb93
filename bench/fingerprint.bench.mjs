// Fingerprint bars (docs/benchmarks.md): in one run, side by side,
//   (b)  the probe bench's scenario (b) (64 hosts × ports 1–1000 over a veth, four open per host,
//        901–1000 DROPped): `portdrift probe` with and without `--fingerprint`; the bar is a
//        cost of at most 10 % in median wall time;
//   (s)  the same lab with real daemons on the open ports of every host (OpenSSH on 22, nginx
//        HTTP on 80+i, memcached on 211, nginx TLS on 443, PostgreSQL on 543, redis on 637:
//        384 open ports): `portdrift probe --fingerprint` against `nmap -sT -sV -T5`, their times
//        and which service each named on each port; the bar is that portdrift names every
//        service at least as often as nmap names it. `portdrift probe` without fingerprints runs
//        beside them too (what naming costs when every port answers).
// The tools alternate (the order rotates each round), each run in fresh namespaces. Writes
// bench/results/fingerprint.json; exits non-zero only when something crashed, never on a
// missed bar. Needs root, iproute2, iptables, nmap, sshd, nginx, openssl, memcached,
// redis-server, PostgreSQL (initdb, postgres, a postgres user), python3 and `npm run build`.
// PD_BENCH_RUNS=N and PD_BENCH_SCENARIOS=b,s narrow a run; BENCH_QUICK=1 (CI) runs each once.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, userExists } from '../test/lab/daemons.mjs';
import { labUnavailable } from '../test/lab/netns.mjs';
import { describeAccuracy } from '../test/lab/truth.mjs';
import { fingerprintLabs } from './fingerprint/labs.mjs';
import { fingerprintTools } from './fingerprint/tools.mjs';
import { fmtMs, medianOrNull, writeResult } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.PD_BENCH_RUNS ?? (QUICK ? 1 : 5));
const ONLY = (process.env.PD_BENCH_SCENARIOS ?? 'b,s').split(',');
const RUN_TIMEOUT_MS = 300_000;
const COST_BAR = 1.1;
// BENCH_QUICK (CI) proves the scenarios run: 8 hosts keep nmap -sV to seconds.
const HOSTS = QUICK ? 8 : 64;

function fatal(msg) {
  console.error(`fingerprint bench: ${msg}`);
  process.exit(1);
}
const reason = labUnavailable();
if (reason) fatal(`the namespace lab is unusable: ${reason}`);
if (!existsSync(cli)) fatal(`${cli} is missing: run \`npm run build\` first`);
const bins = Object.fromEntries(
  ['nmap', 'sshd', 'ssh-keygen', 'nginx', 'openssl', 'memcached', 'redis-server', 'initdb', 'postgres'].map((n) => [
    n,
    findBinary(n),
  ]),
);
const missing = Object.entries(bins)
  .filter(([, p]) => !p)
  .map(([n]) => n);
if (!userExists('postgres')) missing.push('the postgres user');
if (missing.length) fatal(`not installed: ${missing.join(', ')}`);
const nmapVersion = /Nmap version (\S+)/.exec(spawnSync('nmap', ['--version'], { encoding: 'utf8' }).stdout)?.[1];

const work = mkdtempSync(join(tmpdir(), 'pd-bench-fp-'));
// PostgreSQL runs as its own user and must reach its data directory under here.
chmodSync(work, 0o755);
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const { plainLab, servicesLab } = fingerprintLabs({ hosts: HOSTS, bins, work });
const { runOnce } = fingerprintTools({ cli, root, hosts: HOSTS, timeoutMs: RUN_TIMEOUT_MS });

const loadNow = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const showNaming = (n) =>
  Object.entries(n ?? {})
    .map(
      ([s, b]) =>
        `${s} ${b.right}/${b.ports}${
          b.right < b.ports
            ? ` (else ${Object.entries(b.other)
                .map(([k, v]) => `${k}×${v}`)
                .join(', ')})`
            : ''
        }`,
    )
    .join(', ');

const scenarios = [
  {
    id: 'b',
    title:
      `(b) ${HOSTS} hosts × ports 1–1000 over veth, 4 plain ` +
      `listeners per host, 901–1000 DROPped: fingerprinting on vs off`,
    build: plainLab,
    tools: ['pd-off', 'pd-fp'],
  },
  {
    id: 's',
    title:
      `(s) the same lab with real daemons: ssh, http (nginx), memcached, ` +
      `tls (nginx), postgres, redis on every host (${HOSTS * 6} open ports)`,
    build: servicesLab,
    tools: ['pd-off', 'pd-fp', 'nmap-sV'],
  },
].filter((s) => ONLY.includes(s.id));

const started = Date.now();
const out = {
  scenario: 'fingerprint',
  date: new Date().toISOString(),
  node: process.version,
  nmap: nmapVersion,
  cores: cpus().length,
  runsPerTool: RUNS,
  loadBefore: loadNow(),
  scenarios: [],
};
console.log(
  `fingerprint bench: ${RUNS} runs per tool, tools alternate; load average ` +
    `${out.loadBefore}; ${cpus().length} cores; nmap ${nmapVersion}; node ${process.version}`,
);
let crashed = false;
for (const s of scenarios) {
  console.log(`\n${s.title}`);
  const runs = [];
  for (let round = 0; round < RUNS; round++) {
    const order = s.tools.map((_, i) => s.tools[(i + round) % s.tools.length]);
    for (const id of order) {
      let run;
      try {
        run = await runOnce(s.build, id);
      } catch (err) {
        crashed = true;
        console.error(`  ${id} round ${round + 1}: CRASH ${err.stack ?? err}`);
        continue;
      }
      run.round = round + 1;
      runs.push(run);
      const acc = run.accuracy ? `: ${describeAccuracy(run.accuracy)}` : '';
      const named = run.naming ? `; named ${showNaming(run.naming)}` : '';
      console.log(
        `  round ${run.round} ${id.padEnd(8)} ${fmtMs(run.wallMs).padEnd(11)} CPU ${fmtMs(run.cpuMs)}` +
          `, load ${run.load1}${acc}${named}${run.problems.length ? ` — ${run.problems.join('; ')}` : ''}`,
      );
    }
  }
  const per = Object.fromEntries(
    s.tools.map((id) => {
      const mine = runs.filter((r) => r.tool === id);
      return [
        id,
        {
          runs: mine.length,
          medianMs: medianOrNull(mine.map((r) => r.wallMs)),
          medianCpuMs: medianOrNull(mine.map((r) => r.cpuMs)),
          naming: mine.at(-1)?.naming ?? null,
          problems: mine.flatMap((r) => r.problems),
        },
      ];
    }),
  );
  const summary = { id: s.id, title: s.title, tools: per, load: loadNow(), runs };
  for (const [id, t] of Object.entries(per))
    console.log(`  ${id.padEnd(8)} median ${fmtMs(t.medianMs).padEnd(11)} CPU median ${fmtMs(t.medianCpuMs)}`);
  const verdicts = [];
  if (per['pd-off'].medianMs && per['pd-fp'].medianMs) {
    summary.costRatio = Math.round((per['pd-fp'].medianMs / per['pd-off'].medianMs) * 1000) / 1000;
    console.log(`  fingerprinting on / off: ${summary.costRatio}`);
    if (s.id === 'b')
      verdicts.push({
        bar: `cost: probe --fingerprint ≤ ${COST_BAR} × probe (median)`,
        pass: summary.costRatio <= COST_BAR,
        detail: `ratio ${summary.costRatio}`,
      });
  }
  if (per['nmap-sV']) {
    summary.ratioNmap = per['nmap-sV'].medianMs
      ? Math.round((per['pd-fp'].medianMs / per['nmap-sV'].medianMs) * 1000) / 1000
      : null;
    console.log(`  portdrift --fingerprint / nmap -sV -T5: ${summary.ratioNmap}`);
    // Every run, every service: ours named at least as many ports right as nmap's same-round run.
    const worse = [];
    for (const r of runs.filter((x) => x.tool === 'pd-fp')) {
      const theirs = runs.find((x) => x.tool === 'nmap-sV' && x.round === r.round);
      if (!theirs?.naming || !r.naming) continue;
      for (const [svc, b] of Object.entries(theirs.naming))
        if ((r.naming[svc]?.right ?? 0) < b.right)
          worse.push(`round ${r.round} ${svc}: ${r.naming[svc]?.right ?? 0} < ${b.right}`);
    }
    verdicts.push({
      bar: 'naming: every real service named by portdrift as often as nmap -sV names it',
      pass: worse.length === 0 && runs.some((x) => x.tool === 'pd-fp'),
      detail: worse.join('; ') || 'as often or more, every round',
    });
  }
  for (const v of verdicts) console.log(`  bar: ${v.bar}: ${v.pass ? 'PASS' : 'FAIL'} (${v.detail})`);
  summary.verdicts = verdicts;
  out.scenarios.push(summary);
}
out.loadAfter = loadNow();
out.seconds = Math.round((Date.now() - started) / 1000);
writeResult('fingerprint', out);
console.log(
  `\nwrote bench/results/fingerprint.json (${out.seconds} s; ` +
    `load average before ${out.loadBefore}, after ${out.loadAfter})`,
);
process.exitCode = crashed ? 1 : 0;
