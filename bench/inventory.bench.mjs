// Live-inventory bar (docs/benchmarks.md): `portdrift scan DIR --live aws --no-probe --format json`
// end to end against a generated account of 5,000 instances, 2,000 security groups and 500 target
// groups, served paginated (500 items a page) by the AWS wire-protocol test server
// (test/aws/server.ts, compiled here with the project's tsc) on 127.0.0.1, and matched to a
// generated Terraform tree of the same size: under 10 s and under 200 MB peak RSS, 3 runs. 1% of
// the groups carry a hand-made rule and 2% of the target groups another port, so the report is
// not empty. The CLI reads the AWS inventory in a child process (shared/live/aws/read-process.ts),
// so one process's maximum RSS (GNU time's %M: the largest of the CLI and its children) would hide
// the child: the process tree is sampled every 20 ms too, and the bar holds for the larger of
// GNU time's figure and the tree's summed RSS (which counts node's shared code pages once per
// process; the summed PSS, which shares them out, is shown beside it).
// BENCH_QUICK=1 (CI): 50 instances, 20 groups, 5 target groups, one run, no bar.
// Needs `npx tsc -p tsconfig.json` first (npm run bench builds).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { here, main, median, requireBuilt, writeResult } from './lib.mjs';

const root = join(here, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const INSTANCES = QUICK ? 50 : 5000;
const GROUPS = QUICK ? 20 : 2000;
const TARGET_GROUPS = QUICK ? 5 : 500;
const RUNS = QUICK ? 1 : 3;
const PAGE = 500;
const BAR_MS = 10_000;
const BAR_RSS_MB = 200;

requireBuilt();

const dir = mkdtempSync(join(tmpdir(), 'pd-inventory-bench-'));

/** test/aws/server.ts as JavaScript: it imports only node: modules, so one tsc call suffices. */
async function loadServer() {
  const out = join(dir, 'server');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    join(root, 'test', 'aws', 'server.ts'),
    '--outDir',
    out,
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2022',
    '--skipLibCheck',
    '--types',
    'node',
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc test/aws/server.ts: ${r.stdout}${r.stderr}`);
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  return import(pathToFileURL(join(out, 'server.js')).href);
}

const hex = (n, width) => n.toString(16).padStart(width, '0');
const sgId = (g) => `sg-${hex(g, 17)}`;
const tgPort = (t) => 8000 + (t % 100);

function world() {
  const securityGroups = [];
  for (let g = 0; g < GROUPS; g++) {
    const rule = (port) => ({ protocol: 'tcp', from: port, to: port, cidrs: [`10.${g % 250}.0.0/16`] });
    const ingress = [rule(22), rule(443), rule(8000 + (g % 100))];
    if (g % 100 === 7) ingress.push(rule(9200)); // opened by hand
    securityGroups.push({ id: sgId(g), name: `bench-sg-${g}`, ingress });
  }
  const instances = [];
  for (let i = 0; i < INSTANCES; i++) {
    const g = i % GROUPS;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    instances.push({
      id: `i-${hex(i, 17)}`,
      privateIp: ip,
      groups: [{ id: sgId(g), name: `bench-sg-${g}` }],
      tags: { Name: `bench-vm-${i}` },
    });
  }
  const targetGroups = [];
  for (let t = 0; t < TARGET_GROUPS; t++) {
    targetGroups.push({ name: `bench-tg-${t}`, port: t % 50 === 3 ? tgPort(t) + 1 : tgPort(t), protocol: 'HTTP' });
  }
  return { pageSize: PAGE, securityGroups, instances, dbInstances: [], targetGroups };
}

/** The Terraform tree: 100 files, each with its share of groups, instances and target groups. */
function tree() {
  const files = 100;
  const texts = Array.from({ length: files }, () => []);
  for (let g = 0; g < GROUPS; g++) {
    const rules = [22, 443, 8000 + (g % 100)]
      .map(
        (p) =>
          `  ingress {\n    from_port   = ${p}\n    to_port     = ${p}\n    protocol    = "tcp"\n` +
          `    cidr_blocks = ["10.${g % 250}.0.0/16"]\n  }\n`,
      )
      .join('');
    texts[g % files].push(`resource "aws_security_group" "sg_${g}" {\n  name = "bench-sg-${g}"\n${rules}}\n`);
  }
  for (let i = 0; i < INSTANCES; i++) {
    texts[i % files].push(
      `resource "aws_instance" "vm_${i}" {\n  ami                    = "ami-0abcdef1234567890"\n` +
        `  instance_type          = "t3.small"\n  vpc_security_group_ids = [aws_security_group.sg_${i % GROUPS}.id]\n` +
        `  tags = {\n    Name = "bench-vm-${i}"\n  }\n}\n`,
    );
  }
  for (let t = 0; t < TARGET_GROUPS; t++) {
    texts[t % files].push(
      `resource "aws_lb_target_group" "tg_${t}" {\n  name     = "bench-tg-${t}"\n  port     = ${tgPort(t)}\n` +
        `  protocol = "HTTP"\n  vpc_id   = "vpc-0a1b2c3d"\n}\n`,
    );
  }
  mkdirSync(join(dir, 'tf'));
  texts.forEach((t, i) => writeFileSync(join(dir, 'tf', `f${String(i).padStart(3, '0')}.tf`), t.join('\n')));
}

/** The pids of `root` and all its descendants, from /proc (Linux). */
function descendants(root) {
  const out = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop();
    out.push(pid);
    try {
      for (const t of readdirSync(`/proc/${pid}/task`)) {
        const kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
        if (kids) todo.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

/** Summed RSS and PSS (kB) of the process tree under `root` now. */
function treeMemory(root) {
  let rss = 0;
  let pss = 0;
  for (const pid of descendants(root)) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    } catch {
      // Ended meanwhile.
    }
  }
  return { rss, pss };
}

function run(url) {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const args = [
    '-f',
    '%M',
    process.execPath,
    main,
    'scan',
    join(dir, 'tf'),
    '--live',
    'aws',
    '--no-probe',
    '--format',
    'json',
  ];
  // Asynchronous: the server answers from this process's event loop.
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', args, { env, cwd: dir });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const peak = { rss: 0, pss: 0 };
    const sampler = setInterval(() => {
      const m = treeMemory(child.pid);
      peak.rss = Math.max(peak.rss, m.rss);
      peak.pss = Math.max(peak.pss, m.pss);
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      const text = (chunks) => Buffer.concat(chunks).toString('utf8');
      resolve({ code, stdout: text(out), stderr: text(err), treeRssKb: peak.rss, treePssKb: peak.pss });
    });
  });
}

let server;
try {
  const { startAwsServer } = await loadServer();
  tree();
  server = await startAwsServer(world());
  console.log(
    `inventory: ${INSTANCES} instances, ${GROUPS} security groups, ${TARGET_GROUPS} target groups, ${PAGE} a page`,
  );
  const runs = [];
  let summary;
  for (let r = 0; r < RUNS; r++) {
    const before = server.requests.length;
    const t0 = performance.now();
    const p = await run(server.url);
    const ms = performance.now() - t0;
    if (p.code !== 2) {
      console.error(`exit ${p.code} (expected 2: planted drift)\n${p.stderr.slice(-2000)}`);
      process.exit(1);
    }
    const rssKb = Number(p.stderr.trim().split('\n').pop());
    const report = JSON.parse(p.stdout);
    const live = report.summary.live;
    summary = {
      findings: report.summary.byKind,
      read: live.read,
      matched: live.matched.length,
      unmatched: live.unmatchedResources.length,
      unmanaged: live.unmanaged.length,
    };
    const requests = server.requests.length - before;
    const mb = (kb) => Math.round(kb / 1024);
    const load = loadavg()[0].toFixed(1);
    runs.push({
      ms: Math.round(ms),
      rssMb: mb(rssKb),
      treeRssMb: mb(p.treeRssKb),
      treePssMb: mb(p.treePssKb),
      requests,
      load,
    });
    console.log(
      `run ${r + 1}: ${Math.round(ms)} ms, peak RSS ${mb(rssKb)} MB (GNU time), process tree ${mb(p.treeRssKb)} MB ` +
        `RSS / ${mb(p.treePssKb)} MB PSS, ${requests} API requests, ${summary.matched} matched, ` +
        `findings ${JSON.stringify(summary.findings)}, load ${load}`,
    );
  }
  const medianMs = median(runs.map((r) => r.ms));
  const rssOf = (r) => Math.max(r.rssMb, r.treeRssMb);
  const peak = Math.max(...runs.map(rssOf));
  const medianRss = median(runs.map(rssOf));
  const pass = QUICK || (medianMs < BAR_MS && peak < BAR_RSS_MB);
  const bar = QUICK ? 'quick run, no bar' : `bar < ${BAR_MS} ms and < ${BAR_RSS_MB} MB: ${pass ? 'PASS' : 'FAIL'}`;
  console.log(`median ${medianMs} ms, peak RSS median ${medianRss} MB, max ${peak} MB (${bar})`);
  const result = {
    scenario: 'inventory',
    date: new Date().toISOString(),
    node: process.version,
    instances: INSTANCES,
    securityGroups: GROUPS,
    targetGroups: TARGET_GROUPS,
    pageSize: PAGE,
    summary,
    runs,
    medianMs,
    medianRssMb: medianRss,
    peakRssMb: peak,
    barMs: BAR_MS,
    barRssMb: BAR_RSS_MB,
    pass,
  };
  writeResult('inventory', result);
  process.exitCode = pass ? 0 : 1;
} finally {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}
