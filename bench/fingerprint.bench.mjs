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
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, labUnavailable } from '../test/lab/netns.mjs';
import { readPortdrift } from '../test/lab/outputs.mjs';
import { compare, describeAccuracy } from '../test/lab/truth.mjs';

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
const which = (name) => {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  const pg = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin/${name}`)
    : [];
  return [`/usr/sbin/${name}`, ...pg].find((p) => existsSync(p)) ?? null;
};
const reason = labUnavailable();
if (reason) fatal(`the namespace lab is unusable: ${reason}`);
if (!existsSync(cli)) fatal(`${cli} is missing: run \`npm run build\` first`);
const bins = Object.fromEntries(
  ['nmap', 'sshd', 'ssh-keygen', 'nginx', 'openssl', 'memcached', 'redis-server', 'initdb', 'postgres'].map((n) => [
    n,
    which(n),
  ]),
);
const missing = Object.entries(bins)
  .filter(([, p]) => !p)
  .map(([n]) => n);
if (spawnSync('id', ['-u', 'postgres']).status !== 0) missing.push('the postgres user');
if (missing.length) fatal(`not installed: ${missing.join(', ')}`);
const nmapVersion = /Nmap version (\S+)/.exec(spawnSync('nmap', ['--version'], { encoding: 'utf8' }).stdout)?.[1];

// ---------------------------------------------------------------------------------------------
// The labs
// ---------------------------------------------------------------------------------------------

/** Scenario (b) of the probe bench: four open per host, all below the DROPped 901–1000. */
const plainOpen = (i) => [22, 80 + i, 443, 600 + ((i * 7) % 300)].sort((a, b) => a - b);

/** The services lab: what answers on each open port of host i. */
const serviceOpen = (i) => [
  { port: 22, service: 'ssh' },
  { port: 80 + i, service: 'http' },
  { port: 211, service: 'memcached' },
  { port: 443, service: 'tls' },
  { port: 543, service: 'postgres' },
  { port: 637, service: 'redis' },
];

async function plainLab() {
  const lab = await createLab({ hosts: HOSTS });
  const truth = {
    ports: [1, 1000],
    hosts: lab.addresses.map((ip, i) => ({ ip, open: plainOpen(i), filtered: [[901, 1000]] })),
  };
  await lab.listen(truth.hosts.flatMap((h) => h.open.map((port) => ({ ip: h.ip, port }))));
  lab.drop(901, 1000);
  return { lab, truth, stop: async () => {} };
}

const work = mkdtempSync(join(tmpdir(), 'pd-bench-fp-'));
// PostgreSQL runs as its own user and must reach its data directory under here.
chmodSync(work, 0o755);
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
let pgData = null;

function sh(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr || r.stdout}`);
}

/** Files every services lab shares: TLS certificate, SSH host key, an initdb'd cluster. */
function prepareServices() {
  if (pgData) return;
  sh(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(work, 'key.pem'),
      '-out',
      join(work, 'cert.pem'),
      '-days',
      '30',
      '-subj',
      '/CN=lab.internal/O=portdrift bench',
      '-addext',
      'subjectAltName=DNS:lab.internal',
    ],
    'openssl',
  );
  sh(bins['ssh-keygen'], ['-q', '-t', 'ed25519', '-f', join(work, 'hostkey'), '-N', ''], 'ssh-keygen');
  const pg = join(work, 'pg');
  mkdirSync(pg);
  const id = (f) => Number(spawnSync('id', [f, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chownSync(pg, id('-u'), id('-g'));
  chmodSync(pg, 0o700);
  pgData = join(pg, 'data');
  sh(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      bins.initdb,
      '-D',
      pgData,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ],
    'initdb',
  );
}

function nginxConf(dir, addresses) {
  const t = (n) => join(dir, n);
  const http = addresses
    .map((ip, i) => `  server { listen ${ip}:${80 + i}; location / { return 200 "ok\\n"; } }`)
    .join('\n');
  const conf = t('nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${t('nginx.pid')};
error_log ${t('error.log')};
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
${http}
  server {
    listen 0.0.0.0:443 ssl;
    ssl_certificate ${join(work, 'cert.pem')};
    ssl_certificate_key ${join(work, 'key.pem')};
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  return conf;
}

async function servicesLab() {
  prepareServices();
  const lab = await createLab({ hosts: HOSTS });
  const ns = lab.server.name;
  const children = [];
  const start = (argv) => {
    const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    c.log = () => err;
    children.push(c);
  };
  // One sshd stands in for 64 hosts' sshds: its limit of unauthenticated connections (10 by
  // default) is raised so that it is not one host's limit shared by all of them.
  // PostgreSQL runs as its own user: let it bind 543 inside this namespace only.
  sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_unprivileged_port_start=0'], 'sysctl');
  const dir = mkdtempSync(join(work, 'lab-'));
  start([
    'sh',
    '-c',
    `mount -t tmpfs -o size=1m tmpfs /run && mkdir -m 755 /run/sshd && exec ${bins.sshd} -D -e -f ` +
      `/dev/null -h ${join(work, 'hostkey')} -p 22 -o ListenAddress=0.0.0.0 -o PidFile=none -o MaxStartups=1000`,
  ]);
  start([bins.nginx, '-c', nginxConf(dir, lab.addresses), '-p', dir, '-e', join(dir, 'error.log')]);
  start([bins.memcached, '-u', 'nobody', '-l', '0.0.0.0', '-p', '211', '-U', '0', '-c', '4096']);
  start([
    bins['redis-server'],
    '--port',
    '637',
    '--bind',
    '0.0.0.0',
    '--protected-mode',
    'no',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--maxclients',
    '4000',
  ]);
  // setpriv execs (runuser would fork): the PID held is the postmaster's, stopped below.
  rmSync(join(pgData, 'postmaster.pid'), { force: true });
  start([
    'setpriv',
    '--reuid=postgres',
    '--regid=postgres',
    '--init-groups',
    bins.postgres,
    '-D',
    pgData,
    '-p',
    '543',
    '-k',
    join(work, 'pg'),
    '-c',
    'listen_addresses=0.0.0.0',
    '-c',
    'fsync=off',
    '-c',
    'max_connections=200',
  ]);
  const truth = {
    ports: [1, 1000],
    hosts: lab.addresses.map((ip, i) => ({
      ip,
      open: serviceOpen(i)
        .map((s) => s.port)
        .sort((a, b) => a - b),
      filtered: [[901, 1000]],
    })),
    services: new Map(),
  };
  lab.addresses.forEach((ip, i) => {
    for (const s of serviceOpen(i)) truth.services.set(`${ip}:${s.port}`, s.service);
  });
  // Ready: every open port of the last host accepts (the daemons bind all addresses at once).
  const last = truth.hosts[truth.hosts.length - 1];
  const ready =
    `const net=require('node:net');const until=Date.now()+60000;
    const one=(p)=>new Promise((r)=>{const s=net.connect(p,'${last.ip}` +
    `');s.on('connect',()=>{s.destroy();r(true)});s.on('error',()=>r(false))});
    (async()=>{for(const p of ${JSON.stringify(last.open)}` +
    `){while(!(await one(p))){if(Date.now()>until){console.error('not ready: ` +
    `'+p);process.exit(1)}await new Promise((r)=>setTimeout(r,100))}}})();`;
  const r = await lab.run([process.execPath, '-e', ready], { timeoutMs: 70_000 });
  if (r.code !== 0) throw new Error(`services not ready: ${r.stderr}\n${children.map((c) => c.log()).join('\n')}`);
  lab.drop(901, 1000);
  const stop = async () => {
    // PostgreSQL's immediate shutdown (SIGQUIT) takes its backends along; the rest are killed.
    const waits = children.map((c) => {
      if (c.exitCode !== null || c.signalCode !== null) return null;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill(c === children[4] ? 'SIGQUIT' : 'SIGKILL');
      return Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    });
    await Promise.all(waits);
    rmSync(dir, { recursive: true, force: true });
  };
  return { lab, truth, stop };
}

// ---------------------------------------------------------------------------------------------
// Tools and what they named
// ---------------------------------------------------------------------------------------------

const probeArgv = (lab, extra) => [
  process.execPath,
  cli,
  'probe',
  ...lab.addresses,
  '--ports',
  '1-1000',
  '--format',
  'json',
  ...extra,
];
const tools = {
  'pd-off': { argv: (lab) => probeArgv(lab, []), kind: 'portdrift' },
  'pd-fp': { argv: (lab) => probeArgv(lab, ['--fingerprint']), kind: 'portdrift' },
  'nmap-sV': {
    argv: () => ['nmap', '-sT', '-sV', '-T5', '-n', '-Pn', '-p1-1000', `10.231.0.1-${HOSTS}`, '-oX', '-'],
    kind: 'nmap',
  },
};

/** nmap's service names in the fingerprint vocabulary; TLS-wrapped services are `tls`, as ours. */
function nmapName(name, tunnel) {
  if (tunnel === 'ssl' || name === 'ssl' || name === 'https') return 'tls';
  return { postgresql: 'postgres', memcache: 'memcached', 'http-proxy': 'http', 'http-alt': 'http' }[name] ?? name;
}

/** Open ports with their service name from nmap -oX (only what the service and state say). */
function readNmapServices(xml) {
  const out = new Map();
  for (const h of xml.split('<host ').slice(1)) {
    const ip = /<address addr="([^"]+)" addrtype="ipv4"/.exec(h)?.[1];
    if (!ip) continue;
    for (const m of h.matchAll(/<port protocol="tcp" portid="(\d+)">(.*?)<\/port>/gs)) {
      if (!/<state state="open"/.test(m[2])) continue;
      const svc = /<service name="([^"]*)"([^>]*)\/?>/.exec(m[2]);
      const tunnel = svc ? /tunnel="([^"]+)"/.exec(svc[2])?.[1] : undefined;
      const product = svc ? /product="([^"]+)"/.exec(svc[2])?.[1] : undefined;
      out.set(`${ip}:${m[1]}`, {
        service: svc ? nmapName(svc[1], tunnel) : 'unknown',
        raw: svc ? `${tunnel ? `${tunnel}/` : ''}${svc[1]}${product ? ` (${product})` : ''}` : '',
      });
    }
  }
  return out;
}

/** Per expected service: ports named right / ports, and what was said instead. */
function naming(truth, named) {
  const by = {};
  for (const [key, want] of truth.services) {
    by[want] = by[want] ?? { ports: 0, right: 0, other: {} };
    const b = by[want];
    b.ports++;
    const got = named.get(key);
    if (got?.service === want) b.right++;
    else {
      const said = got ? got.raw || got.service : 'not reported';
      b.other[said] = (b.other[said] ?? 0) + 1;
    }
  }
  return by;
}

async function runOnce(build, id) {
  const { lab, truth, stop } = await build();
  try {
    const tool = tools[id];
    const load = loadavg()[0];
    const r = await lab.run(tool.argv(lab), { timeoutMs: RUN_TIMEOUT_MS, cwd: root });
    const run = {
      tool: id,
      wallMs: r.wallMs,
      cpuMs: r.cpuMs,
      load1: Math.round(load * 100) / 100,
      code: r.code,
      problems: [],
    };
    if (r.timedOut) run.problems.push(`killed after ${RUN_TIMEOUT_MS / 1000} s`);
    else if (r.code !== 0) run.problems.push(`exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`);
    if (tool.kind === 'portdrift') {
      const read = readPortdrift(r.stdout);
      run.problems.push(...read.problems);
      run.accuracy = compare(truth, read.results);
      if (truth.services) {
        const named = new Map();
        for (const x of JSON.parse(r.stdout).results ?? []) {
          if (x.state !== 'open' || !x.fingerprint) continue;
          const f = x.fingerprint;
          const raw =
            f.service === 'unknown'
              ? `unknown: ${f.detail ?? ''}`
              : `${f.service}${f.product ? ` (${f.product})` : ''}`;
          named.set(`${x.ip}:${x.port}`, { service: f.service, raw });
        }
        if (id === 'pd-fp') run.naming = naming(truth, named);
      }
    } else {
      const named = readNmapServices(r.stdout);
      run.naming = naming(truth, named);
      run.openFound = named.size;
    }
    return run;
  } finally {
    await stop();
    await lab.destroy();
  }
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const fmtMs = (ms) => (ms === null ? '—' : `${Math.round(ms).toLocaleString('en-US')} ms`);
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
          medianMs: median(mine.map((r) => r.wallMs)),
          medianCpuMs: median(mine.map((r) => r.cpuMs)),
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
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'fingerprint.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(
  `\nwrote bench/results/fingerprint.json (${out.seconds} s; ` +
    `load average before ${out.loadBefore}, after ${out.loadAfter})`,
);
process.exitCode = crashed ? 1 : 0;
