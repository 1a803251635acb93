// `portdrift scan` on loopback with real listeners: a block of ports this test owns on a random
// 127.x address, IaC written for it in a temp dir, discovery restricted with --ports to that
// block so no other listener of the machine (0.0.0.0:2024, sshd, other tests) enters the result.
//
// Layout (offsets from the block's base b; the block is b-10 … b+70):
//   aws_db_instance.orders        declares b      (closed)  b+2 open          → moved b → b+2
//   aws_ecs_task_definition.api   declares b+30   (open)                       in sync
//                                 declares b+60   (closed)  nothing within ±10 → missing
//   (nothing declares)            b+35 open                                    → undeclared
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureCli } from '../../cli-context.js';
import { runCli } from '../../../cli/program.js';
import type { DriftReport } from '../../../shared/types.js';
import { run } from '../cli/run.js';
import { type Block, reserveBlock } from './loopback.js';

const repo = join(import.meta.dirname, '..', '..', '..');
let block: Block;
let dir: string;
let b: number;
let host: string;
let args: string[];

beforeAll(async () => {
  block = await reserveBlock(81);
  host = block.host;
  b = block.base + 10;
  const keepOpen = new Set([b + 2, b + 30, b + 35].map((p) => p - block.base));
  for (let i = 0; i < 81; i++) if (!keepOpen.has(i)) await block.release(i);
  dir = mkdtempSync(join(tmpdir(), 'pd-scan-'));
  writeFileSync(join(dir, 'variables.tf'), `variable "db_port" {\n  type    = number\n  default = ${b}\n}\n`);
  writeFileSync(
    join(dir, 'rds.tf'),
    `resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port   = var.db_port\n}\n`,
  );
  writeFileSync(
    join(dir, 'ecs.tf'),
    `resource "aws_ecs_task_definition" "api" {\n  family = "api"\n  container_definitions = jsonencode([\n    ` +
      `{\n      name = "api"\n      portMappings = [\n        { containerPort = ` +
      `${b + 30} },\n        { containerPort = ${b + 60} }\n      ]\n    }\n  ])\n}\n`,
  );
  writeFileSync(
    join(dir, 'targets.yaml'),
    `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${host}` +
      `]\n  - resource: aws_ecs_task_definition.api\n    hosts: [${host}]\n`,
  );
  args = ['scan', '.', '--targets', 'targets.yaml', '--ports', `${b - 10}-${b + 70}`, '--timeout', '500ms'];
});

afterAll(async () => {
  await block?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const scan = (...extra: string[]) => run([...args, ...extra], dir);

// A Deployment has no derived DNS name (a Service or a Compose service would add one, and a scan
// would look it up): its host comes from the targets file alone.
function deployment(name: string, ports: number[]): string {
  const list = ports.map((p) => `            - containerPort: ${p}\n`).join('');
  return (
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  ` +
    `template:\n    spec:\n      containers:\n        - name: ${name}\n          image: x\n          ports:\n${list}`
  );
}

describe('portdrift scan on loopback', () => {
  it('finds the moved, missing and undeclared ports; json is version 1; exit 2', async () => {
    const r = await scan('--format', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out) as DriftReport;
    expect(doc.version).toBe(1);
    expect(doc.summary).toEqual({
      resources: 2,
      endpoints: 3,
      observed: 3,
      findings: 3,
      byKind: { moved: 1, missing: 1, undeclared: 1 },
    });
    expect(doc.findings.map((f) => [f.kind, f.resource, f.host, f.port, f.observedPort, f.state, f.agent])).toEqual([
      ['moved', 'aws_db_instance.orders', host, b, b + 2, 'closed', 'local'],
      ['missing', 'aws_ecs_task_definition.api', host, b + 60, undefined, 'closed', 'local'],
      ['undeclared', 'aws_db_instance.orders, aws_ecs_task_definition.api', host, b + 35, undefined, 'open', 'local'],
    ]);
    const moved = doc.findings[0]!;
    expect(moved.source).toEqual({ file: 'rds.tf', line: 3 });
    expect(moved.message).toBe(`aws_db_instance.orders declares port ${b} but ${host} listens on ${b + 2}`);
    expect(moved.suggestion).toBe(
      `variables.tf:3 variable "db_port" default ${b} → ${b + 2}, or move the service back to ${b}`,
    );
    expect(doc.findings[1]!.source).toEqual({ file: 'ecs.tf', line: 8 });
  });

  it('--fail-on: a kind, a severity at or above, and exit 0 when nothing qualifies', async () => {
    expect((await scan('--format', 'json', '--fail-on', 'moved')).code).toBe(2);
    expect((await scan('--format', 'json', '--fail-on', 'unobserved')).code).toBe(0);
    expect((await scan('--format', 'json', '--fail-on', 'high')).code).toBe(2);
    expect((await scan('--format', 'json', '--fail-on', 'medium')).code).toBe(2);
    const bad = await scan('--fail-on', 'everything');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--fail-on "everything": expected a kind .* \[PD_USAGE\]/);
  });

  it('exit 0 and "No drift" once the IaC matches what listens', async () => {
    const synced = mkdtempSync(join(tmpdir(), 'pd-scan-sync-'));
    try {
      writeFileSync(join(synced, 'web.yaml'), deployment('web', [b + 30, b + 35]));
      writeFileSync(
        join(synced, 'targets.yaml'),
        `targets:\n  - resource: "k8s:Deployment/shop/web"\n    hosts: [${host}]\n`,
      );
      const r = await run(
        ['scan', 'web.yaml', '--targets', 'targets.yaml', '--ports', `${b + 25}-${b + 40}`, '--format', 'table'],
        synced,
      );
      expect(r.code).toBe(0);
      expect(r.out).toBe('No drift: 1 resource, 2 endpoints checked, 2 observed.\n');
    } finally {
      rmSync(synced, { recursive: true, force: true });
    }
  });

  it('prints every format', async () => {
    const table = await scan('--format', 'table');
    expect(table.code).toBe(2);
    expect(table.out).toMatch(
      new RegExp(
        `^HIGH\\s+moved\\s+aws_db_instance\\.orders\\s+${host.replace(/\./g, '\\.')}:${b} → ${b + 2}\\s+rds\\.tf:3`,
        'm',
      ),
    );
    expect(table.out).toContain(
      '3 findings (1 moved, 1 missing, 1 undeclared); 2 resources, 3 endpoints checked, 3 observed.',
    );
    expect(table.out).not.toMatch(/\u001b/);

    const md = await scan('--format', 'markdown');
    expect(md.out.split('\n')[0]).toBe('### portdrift: 3 findings');
    expect(md.out).toContain(`| high | moved | aws\\_db\\_instance.orders | ${host}:${b} → ${b + 2} | rds.tf:3 |`);

    const sarif = JSON.parse((await scan('--format', 'sarif', '--path-prefix', 'infra')).out);
    const results = sarif.runs[0].results;
    expect(results.map((x: { ruleId: string }) => x.ruleId)).toEqual(['moved', 'missing', 'undeclared']);
    expect(results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('infra/rds.tf');
    expect(results[0].locations[0].physicalLocation.region.startLine).toBe(3);

    // Run from the parent directory (the "repository root"): URIs get the path to the IaC root.
    const parent = join(dir, '..');
    const base = dir.slice(parent.length + 1);
    const fromParent = await run(
      ['scan', base, '--targets', `${base}/targets.yaml`, '--ports', `${b - 10}-${b + 70}`, '--format', 'sarif'],
      parent,
    );
    expect(JSON.parse(fromParent.out).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
      `${base}/rds.tf`,
    );
    const inside = JSON.parse((await scan('--format', 'sarif')).out);
    expect(inside.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('rds.tf');

    const junit = (await scan('--format', 'junit')).out;
    expect(junit).toMatch(/^<\?xml/);
    expect(junit).toMatch(/^<testsuites>$/m);
    expect(junit.match(/<failure /g)).toHaveLength(3);
    expect(junit).toContain(`name="moved ${host}:${b} → ${b + 2}" time="0">`);
    expect(junit).toContain(`moved ${host}:${b} → ${b + 2}: rds.tf:3\n`);
  });

  it('on a terminal: table by default, severity in colour unless NO_COLOR is set', async () => {
    const tty = async (env: Record<string, string>) => {
      const cli = captureCli({ stdoutIsTTY: true, env, cwd: dir });
      return { code: await runCli(args, cli.ctx), out: cli.out() };
    };
    const coloured = await tty({});
    expect(coloured.code).toBe(2);
    expect(coloured.out).toMatch(/^SEVERITY\s+KIND/);
    expect(coloured.out).toMatch(/^\u001b\[31mHIGH\u001b\[0m\s+moved/m);
    const plain = await tty({ NO_COLOR: '1' });
    expect(plain.out).toMatch(/^SEVERITY\s+KIND/);
    expect(plain.out).not.toMatch(/\u001b/);
  });

  it('a signal before probing: the report says unobserved for what was not probed, and stderr says why', async () => {
    const cli = captureCli({ cwd: dir, shutdown: Promise.resolve('SIGINT') });
    const code = await runCli([...args, '--format', 'json'], cli.ctx);
    const out = cli.out();
    const err = cli.err();
    expect(code).toBe(2);
    expect(err).toContain('portdrift: interrupted: the report covers only the ports probed before the signal');
    const doc = JSON.parse(out) as DriftReport;
    expect(doc.summary.observed).toBe(0);
    expect(doc.findings.map((f) => f.kind)).toEqual(['unobserved', 'unobserved', 'unobserved']);
  });

  it('refuses link-local and cloud-metadata addresses: never probed, reported unobserved with the reason', async () => {
    const meta = mkdtempSync(join(tmpdir(), 'pd-scan-meta-'));
    try {
      writeFileSync(join(meta, 'meta.yaml'), deployment('meta', [80]));
      writeFileSync(
        join(meta, 'targets.yaml'),
        `targets:\n  - resource: "k8s:Deployment/shop/meta"\n    hosts: [169.254.169.254]\n`,
      );
      const r = await run(
        ['scan', 'meta.yaml', '--targets', 'targets.yaml', '--ports', '81', '--format', 'json'],
        meta,
      );
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.out) as DriftReport;
      expect(doc.findings).toHaveLength(1);
      expect(doc.findings[0]).toMatchObject({
        kind: 'unobserved',
        severity: 'low',
        host: '169.254.169.254',
        port: 80,
        state: null,
      });
      expect(doc.findings[0]!.message).toMatch(
        /^k8s:Deployment\/shop\/meta port 80 was not observed: 169\.254\.169\.254 was refused \(.*cloud metadata/,
      );
      expect(doc.findings[0]!.suggestion).toBe('pass --allow-special 169.254.169.254/32 to probe it deliberately');
    } finally {
      rmSync(meta, { recursive: true, force: true });
    }
  });

  it('says so on stderr when no resource is placed on a host, and checks nothing', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'pd-scan-bare-'));
    try {
      writeFileSync(
        join(bare, 'rds.tf'),
        `resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port   = ${b}\n}\n`,
      );
      const r = await run(['scan', '.', '--format', 'json'], bare);
      expect(r.code).toBe(0);
      expect(r.err).toContain('portdrift: not checked: 1 listen endpoint without a known host');
      expect(r.err).toContain('portdrift: nothing to probe: no resource of the IaC is placed on a host');
      expect((JSON.parse(r.out) as DriftReport).summary).toEqual({
        resources: 1,
        endpoints: 0,
        observed: 0,
        findings: 0,
        byKind: {},
      });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('reports bad arguments before probing anything: exit 1 naming the flag', async () => {
    const ports = await scan('--ports', '70000');
    expect(ports.code).toBe(1);
    expect(ports.err).toMatch(/invalid port spec "70000".*\[PD_PORT_SPEC\]/);
    const timeout = await scan('--timeout', '5');
    expect(timeout.code).toBe(1);
    expect(timeout.err).toMatch(/\[PD_DURATION\]/);
    const conc = await scan('--concurrency', '0');
    expect(conc.code).toBe(1);
    expect(conc.err).toMatch(/--concurrency "0"/);
    const special = await scan('--allow-special', 'nonsense');
    expect(special.code).toBe(1);
    expect(special.err).toMatch(/--allow-special: "nonsense" is not a CIDR/);
    // `--ports "$LO-$HI"` with both empty is not a sweep of every port.
    const dash = await scan('--ports', '-');
    expect(dash.code).toBe(1);
    expect(dash.err).toMatch(/invalid port spec "-": a range needs at least one end.*\[PD_PORT_SPEC\]/);
    // Every bad flag at once, each named.
    const all = await scan('--ports', '0', '--timeout', 'soon', '--concurrency', 'x');
    expect(all.code).toBe(1);
    expect(all.err).toMatch(
      /--ports: invalid port spec "0".*; --concurrency "x".*; --timeout: invalid duration "soon".*\[PD_USAGE\]/,
    );
    const fmt = await scan('--format', 'yaml');
    expect(fmt.code).toBe(1);
  });

  it('as a real process over a pipe: json by default, exit 2', async () => {
    const cli = join(repo, 'dist', 'cli', 'main.js');
    const r = await promisify(execFile)(process.execPath, [cli, ...args], { cwd: dir }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as DriftReport).summary.byKind).toEqual({ moved: 1, missing: 1, undeclared: 1 });
  });
});
