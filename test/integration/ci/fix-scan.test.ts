// `portdrift fix <paths…>` without --from: it scans (the same pipeline and flags as `scan`) on
// loopback with real listeners, then proposes the patch; `--write` applies it; `extract` then
// shows the new ports and a second `fix` finds nothing left to move. A block of ports this test
// owns on a random 127.x address; discovery restricted with --ports to that block so nothing
// else on the machine (0.0.0.0:2024, other tests) enters the result.
//
// Layout (offsets from b; the block is b-10 … b+70), every resource placed on the block's host:
//   aws_db_instance.orders    variable "db_port" default b  (closed)  b+2 open  → moved, edit the default
//   k8s:Deployment/shop/api   containerPort b+20            (closed)  b+23 open → moved, edit the literal
//   compose:<web>             ports "b+40" (short)          (closed)  b+41 open → moved
//                             ports target: b+60 (long)     (closed)  b+62 open → moved
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run.js';
import { type Block, reserveBlock } from '../scan/loopback.js';

let block: Block;
let dir: string;
let b: number;
let host: string;
let args: string[];
// A Compose service name is also a derived DNS name that a scan looks up: make it one that
// cannot resolve to anything, so only the block's address is probed.
const web = `pdfix-web-${Math.random().toString(36).slice(2, 10)}`;
const FILES: Record<string, string> = {};

beforeAll(async () => {
  block = await reserveBlock(81);
  host = block.host;
  b = block.base + 10;
  const keepOpen = new Set([b + 2, b + 23, b + 41, b + 62].map((p) => p - block.base));
  for (let i = 0; i < 81; i++) if (!keepOpen.has(i)) await block.release(i);
  dir = mkdtempSync(join(tmpdir(), 'pd-fix-scan-'));
  FILES['variables.tf'] = `variable "db_port" {\n  type    = number\n  default = ${b}\n}\n`;
  FILES['rds.tf'] = `resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port   = var.db_port\n}\n`;
  FILES['api.yaml'] = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: api',
    '  namespace: shop',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: api',
    '          image: x',
    '          ports:',
    `            - containerPort: ${b + 20}`,
    '',
  ].join('\n');
  FILES['compose.yaml'] =
    `services:\n  ${web}:\n    image: nginx\n    ports:\n      - "` +
    `${b + 40}"\n      - target: ${b + 60}\n        protocol: tcp\n`;
  FILES['targets.yaml'] =
    `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${host}]\n  - resource: ` +
    `k8s:Deployment/shop/api\n    hosts: [${host}]\n  - resource: compose:${web}\n    hosts: [${host}]\n`;
  for (const [f, t] of Object.entries(FILES)) writeFileSync(join(dir, f), t);
  args = ['.', '--targets', 'targets.yaml', '--ports', `${b - 10}-${b + 70}`, '--timeout', '500ms'];
});

afterAll(async () => {
  await block?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ports = (json: string): string[] =>
  (JSON.parse(json).endpoints as Array<{ resource: string; host: string | null; port: number }>)
    .filter((e) => e.host === host)
    .map((e) => `${e.resource}:${e.port}`)
    .sort();

describe('portdrift fix after a scan, on loopback', () => {
  it('scans, prints the diff at each true origin, and touches nothing', async () => {
    const r = await run(['fix', ...args], dir);
    expect(r.err).toContain('scan: ');
    expect(r.err).toContain(
      `fix: variables.tf:3 variable "db_port" default: ${b} → ${b + 2} for aws_db_instance.orders\n`,
    );
    expect(r.err).toContain(`fix: api.yaml:13 literal: ${b + 20} → ${b + 23} for k8s:Deployment/shop/api\n`);
    expect(r.err).toContain(`fix: compose.yaml:5 literal: ${b + 40} → ${b + 41} for compose:${web}\n`);
    expect(r.err).toContain(`fix: compose.yaml:6 literal: ${b + 60} → ${b + 62} for compose:${web}\n`);
    expect(r.err).not.toContain('refused');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `--- a/variables.tf\n+++ b/variables.tf\n@@ -1,4 +1,4 @@\n variable "db_port" ` +
        `{\n   type    = number\n-  default = ${b}\n+  default = ${b + 2}\n }\n`,
    );
    expect(r.out).toContain(`-            - containerPort: ${b + 20}\n+            - containerPort: ${b + 23}\n`);
    expect(r.out).toContain(
      `-      - "${b + 40}"\n-      - target: ${b + 60}\n+      - "${b + 41}"\n+      - target: ${b + 62}\n`,
    );
    expect(r.out).not.toContain('rds.tf');
    for (const [f, t] of Object.entries(FILES)) expect(readFileSync(join(dir, f), 'utf8')).toBe(t);
  });

  it('--write applies it; extract shows the new ports; fix again finds nothing to move', async () => {
    const before = await run(['extract', '.', '--targets', 'targets.yaml', '--format', 'json'], dir);
    expect(ports(before.out)).toEqual(
      [
        `aws_db_instance.orders:${b}`,
        `compose:${web}:${b + 40}`,
        `compose:${web}:${b + 60}`,
        `k8s:Deployment/shop/api:${b + 20}`,
      ].sort(),
    );
    const r = await run(['fix', ...args, '--write'], dir);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`wrote 3 files under ${dir}`);
    expect(readFileSync(join(dir, 'variables.tf'), 'utf8')).toBe(
      FILES['variables.tf']!.replace(`default = ${b}`, `default = ${b + 2}`),
    );
    expect(readFileSync(join(dir, 'rds.tf'), 'utf8')).toBe(FILES['rds.tf']);
    expect(readFileSync(join(dir, 'targets.yaml'), 'utf8')).toBe(FILES['targets.yaml']);
    const after = await run(['extract', '.', '--targets', 'targets.yaml', '--format', 'json'], dir);
    expect(ports(after.out)).toEqual(
      [
        `aws_db_instance.orders:${b + 2}`,
        `compose:${web}:${b + 41}`,
        `compose:${web}:${b + 62}`,
        `k8s:Deployment/shop/api:${b + 23}`,
      ].sort(),
    );
    const again = await run(['fix', ...args], dir);
    expect(again.code).toBe(0);
    expect(again.out).toBe('');
    expect(again.err).toContain('nothing to fix: no moved finding');
    // And the scan agrees: nothing on the block's host is out of line any more.
    const scan = JSON.parse((await run(['scan', ...args, '--format', 'json'], dir)).out) as {
      findings: Array<{ host: string; kind: string }>;
    };
    expect(scan.findings.filter((f) => f.host === host)).toEqual([]);
  });

  it('checks its arguments before scanning', async () => {
    const r = await run(['fix', ...args, '--timeout', 'soon'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/soon/);
    expect(r.out).toBe('');
  });
});

describe('portdrift fix after a scan: one variable, several resources', () => {
  let blk: Block;
  let d: string;
  let a: string[];
  let p: number;

  beforeAll(async () => {
    blk = await reserveBlock(21);
    p = blk.base + 10;
    for (let i = 0; i < 21; i++) if (i !== 12) await blk.release(i);
    d = mkdtempSync(join(tmpdir(), 'pd-fix-scan2-'));
    writeFileSync(
      join(d, 'main.tf'),
      `variable "db_port" {\n  default = ${p}\n}\n\nresource "aws_db_instance" "orders" {\n  ` +
        `port = var.db_port\n}\n\nresource "aws_db_instance" "reports" {\n  port = var.db_port\n}\n`,
    );
    writeFileSync(join(d, 'targets.yaml'), `targets:\n  - resource: aws_db_instance.*\n    hosts: [${blk.host}]\n`);
    a = ['.', '--targets', 'targets.yaml', '--ports', `${p - 10}-${p + 10}`, '--timeout', '500ms'];
  });

  afterAll(async () => {
    await blk?.close();
    if (d) rmSync(d, { recursive: true, force: true });
  });

  it('edits the shared default once and names every resource it feeds', async () => {
    const r = await run(['fix', ...a], d);
    expect(r.code).toBe(0);
    expect(r.err).toContain('scan: 2 findings, 2 moved\n');
    expect(r.err).toContain(
      `fix: main.tf:2 variable "db_port" default: ${p} → ${p + 2}` +
        ` for aws_db_instance.orders, aws_db_instance.reports\n`,
    );
    expect(r.out.match(/^\+ {2}default = /gm)).toHaveLength(1);
  });

  it('refuses to move a shared default when another resource it feeds is in sync on another host', async () => {
    // aws_db_instance.reports on a second loopback address, listening on the declared port.
    let other: Server | null = null;
    let otherHost = '';
    for (let i = 0; i < 20 && !other; i++) {
      otherHost =
        `127.${77 + Math.floor(Math.random() * 100)}.` +
        `${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
      other = await listenOn(otherHost, p);
    }
    expect(other).not.toBeNull();
    try {
      writeFileSync(
        join(d, 'targets2.yaml'),
        `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${blk.host}` +
          `]\n  - resource: aws_db_instance.reports\n    hosts: [${otherHost}]\n`,
      );
      const r = await run(
        ['fix', '.', '--targets', 'targets2.yaml', '--ports', `${p - 10}-${p + 10}`, '--timeout', '500ms', '--write'],
        d,
      );
      expect(r.err).toContain('scan: 1 finding, 1 moved\n');
      expect(r.err).toContain(
        `refused: aws_db_instance.orders (main.tf:2): variable "db_port" default at main.tf:2 also feeds ` +
          `aws_db_instance.reports, which is in sync on ${p}: changing it would ` +
          `move that port too; give aws_db_instance.orders a value of its own\n`,
      );
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(readFileSync(join(d, 'main.tf'), 'utf8')).toContain(`default = ${p}\n`);
    } finally {
      await new Promise<void>((res) => other!.close(() => res()));
    }
  });
});

function listenOn(h: string, port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.on('error', () => undefined).destroy());
    s.once('error', () => resolve(null));
    s.listen({ host: h, port, exclusive: true }, () => resolve(s));
  });
}
