// Extraction bar (docs/benchmarks.md): 500 Terraform files of ~5 KB extracted in under 3 s,
// measured as the whole process `node dist/cli/main.js extract DIR --format json`, 5 runs.
// The fixture: per file 5 security groups × 4 ingress blocks, 5 RDS
// instances and 5 ECS task definitions whose container definitions use jsonencode, plus a
// variable per file so that references are resolved too. Prints the median and the peak RSS
// (GNU time's maximum resident set size) and writes bench/results/extract.json.
// Needs `npx tsc -p tsconfig.json` first (npm run bench builds).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, median, requireBuilt, writeResult } from './lib.mjs';

// BENCH_QUICK=1 (CI): 20 files, one run, no bar: proves the scenario still runs end to end.
const QUICK = process.env.BENCH_QUICK === '1';
const FILES = QUICK ? 20 : 500;
const RUNS = QUICK ? 1 : 5;
const BAR_MS = 3000;

requireBuilt();

function file(i) {
  const out = [`variable "app_port_${i}" {\n  type    = number\n  default = ${8000 + (i % 100)}\n}\n`];
  for (let s = 0; s < 5; s++) {
    out.push(`resource "aws_security_group" "sg_${i}_${s}" {\n  name        = "sg-${i}-${s}"\n`);
    for (const [_k, port] of [22, 443, 5432, `var.app_port_${i}`].entries()) {
      out.push(
        `  ingress {\n    from_port   = ${port}\n    to_port     = ${port}\n ` +
          `   protocol    = "tcp"\n    cidr_blocks = ["10.${s}.0.0/16"]\n  }\n`,
      );
    }
    out.push('}\n');
  }
  for (let d = 0; d < 5; d++) {
    out.push(
      `resource "aws_db_instance" "db_${i}_${d}" {\n  identifier        = "db-${i}-${d}"\n  engine            = "` +
        `${d % 2 ? 'mysql' : 'postgres'}"\n  instance_class    = ` +
        `"db.t3.micro"\n${d % 3 ? `  port              = ${5432 + d}\n` : ''}}\n`,
    );
  }
  for (let t = 0; t < 5; t++) {
    out.push(
      `resource "aws_ecs_task_definition" "task_${i}_${t}" {\n  family       = "task-${i}-${t}"\n  network_mode = ` +
        `"awsvpc"\n  container_definitions = jsonencode([\n    {\n      name      = "app"\n      image     = ` +
        `"registry.internal/app:${i}.${t}"\n      portMappings = [\n        { containerPort = var.app_port_` +
        `${i}, protocol = "tcp" },\n        { containerPort = ${9000 + t} }\n      ]\n    }\n  ])\n}\n`,
    );
  }
  return out.join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'pd-extract-bench-'));
let bytes = 0;
try {
  mkdirSync(join(dir, 'tf'));
  for (let i = 0; i < FILES; i++) {
    const text = file(i);
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, 'tf', `f${String(i).padStart(3, '0')}.tf`), text);
  }
  console.log(
    `fixture: ${FILES} files, ${(bytes / FILES / 1024).toFixed(1)}` +
      ` KB each on average, ${(bytes / 1048576).toFixed(2)} MB in all`,
  );
  const runs = [];
  let endpoints = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const p = spawnSync(
      '/usr/bin/time',
      ['-f', '%M', process.execPath, main, 'extract', join(dir, 'tf'), '--format', 'json'],
      { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
    );
    const ms = performance.now() - t0;
    if (p.status !== 0) {
      console.error(p.stderr.slice(-2000));
      process.exit(1);
    }
    const rssKb = Number(p.stderr.trim().split('\n').pop());
    const model = JSON.parse(p.stdout);
    endpoints = model.endpoints.length;
    if (model.problems.length || model.unresolved.length) {
      console.error(`unexpected: ${model.problems.length} problems, ${model.unresolved.length} unresolved`);
      process.exit(1);
    }
    runs.push({ ms: Math.round(ms), rssMb: Math.round(rssKb / 1024) });
    console.log(
      `run ${r + 1}: ${Math.round(ms)} ms, peak RSS ${Math.round(rssKb / 1024)}` +
        ` MB, ${model.resources.length} resources, ${endpoints} endpoints`,
    );
  }
  const medianMs = median(runs.map((r) => r.ms));
  const peak = Math.max(...runs.map((r) => r.rssMb));
  const pass = QUICK || medianMs < BAR_MS;
  console.log(
    `median ${medianMs} ms (` +
      `${QUICK ? 'quick run, no bar' : `bar < ${BAR_MS} ms: ${pass ? 'PASS' : 'FAIL'}`}), peak RSS ${peak} MB`,
  );
  writeResult('extract', {
    scenario: 'extract',
    date: new Date().toISOString(),
    node: process.version,
    files: FILES,
    bytes,
    endpoints,
    runs,
    medianMs,
    peakRssMb: peak,
    barMs: BAR_MS,
    pass,
  });
  process.exitCode = pass ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
