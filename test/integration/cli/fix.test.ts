// `portdrift fix --from FILE` on real IaC files (fix that scans first: test/integration/ci/fix-scan.test.ts): the diff, `--write`, the refusals, and
// `extract` after `fix --write` showing the new ports.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { finding, report } from '../../fixtures/findings.js';
import { run } from './run.js';

const base = mkdtempSync(join(tmpdir(), 'pd-fix-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  'k8s/cart.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n  namespace: shop\nspec:\n  selector:\n    app: cart\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n',
  'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports:\n      - "8081:80"\n',
  'stack.yaml': [
    'AWSTemplateFormatVersion: "2010-09-09"',
    'Parameters:',
    '  DbPort:',
    '    Type: Number',
    '    Default: 5432',
    'Resources:',
    '  OrdersDb:',
    '    Type: AWS::RDS::DBInstance',
    '    Properties:',
    '      Engine: postgres',
    '      Port: !Ref DbPort',
    '  ReportsDb:',
    '    Type: AWS::RDS::DBInstance',
    '    Properties:',
    '      Engine: postgres',
    '      Port: !Ref DbPort',
    '  Cache:',
    '    Type: AWS::ElastiCache::CacheCluster',
    '    Properties:',
    '      Engine: redis',
    '      NumCacheNodes: 1',
    '      CacheNodeType: cache.t3.micro',
    '',
  ].join('\n'),
};

let n = 0;
function workspace(findings: DriftReport['findings']): { dir: string; iac: string; from: string } {
  const dir = join(base, `w${n++}`);
  const iac = join(dir, 'iac');
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(join(iac, file, '..'), { recursive: true });
    writeFileSync(join(iac, file), text);
  }
  writeFileSync(join(dir, 'findings.json'), JSON.stringify(report(findings)));
  return { dir, iac, from: join(dir, 'findings.json') };
}

const moved = (resource: string, host: string, port: number, observedPort: number, source: { file: string; line: number }) =>
  finding({ kind: 'moved', id: `f_${resource}`, resource, host, port, observedPort, source });

const k8s = moved('k8s:Service/shop/cart', 'cart.shop.svc.cluster.local', 80, 8088, { file: 'k8s/cart.yaml', line: 11 });
const compose = moved('compose:web', 'web', 80, 81, { file: 'compose.yaml', line: 5 });
const orders = moved('cfn:OrdersDb', 'orders.internal', 5432, 5433, { file: 'stack.yaml', line: 11 });
const cache = moved('cfn:Cache', 'cache.internal', 6379, 6380, { file: 'stack.yaml', line: 17 });

describe('portdrift fix', () => {
  it('prints a diff at each true origin, says what a shared parameter also changes, and touches nothing', async () => {
    const w = workspace([k8s, compose, orders, finding({ kind: 'missing' })]);
    const r = await run(['fix', 'iac', '--from', 'findings.json'], w.dir);
    expect(r.err).toBe(
      [
        'fix: compose.yaml:5 literal: 80 → 81 for compose:web',
        'fix: k8s/cart.yaml:11 literal: 80 → 8088 for k8s:Service/shop/cart',
        'fix: stack.yaml:5 parameter DbPort Default: 5432 → 5433 for cfn:OrdersDb; the same value also feeds cfn:ReportsDb, which change too',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('--- a/stack.yaml\n+++ b/stack.yaml\n@@ -2,7 +2,7 @@\n Parameters:\n   DbPort:\n     Type: Number\n-    Default: 5432\n+    Default: 5433\n');
    expect(r.out).toContain('-      - "8081:80"\n+      - "8081:81"\n');
    expect(r.out).toContain('-      port: 80\n+      port: 8088\n');
    for (const [file, text] of Object.entries(FILES)) expect(readFileSync(join(w.iac, file), 'utf8')).toBe(text);
    // The printed diff is a patch git accepts from the IaC root.
    writeFileSync(join(w.dir, 'fix.diff'), r.out);
    execFileSync('git', ['apply', '--check', join(w.dir, 'fix.diff')], { cwd: w.iac, stdio: 'pipe' });
  });

  it('--write applies exactly the edits, and extract then shows the new ports', async () => {
    const w = workspace([k8s, compose, orders]);
    const before = await run(['extract', 'iac', '--format', 'json'], w.dir);
    const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], w.dir);
    expect(r.code).toBe(0);
    expect(r.err).toContain('wrote 3 files under');
    expect(readFileSync(join(w.iac, 'stack.yaml'), 'utf8')).toBe(FILES['stack.yaml']!.replace('Default: 5432', 'Default: 5433'));
    const after = await run(['extract', 'iac', '--format', 'json'], w.dir);
    const ports = (json: string) => Object.fromEntries((JSON.parse(json).endpoints as Array<{ resource: string; port: number }>).map((e) => [e.resource, e.port]));
    expect(ports(before.out)).toEqual({ 'cfn:Cache': 6379, 'cfn:OrdersDb': 5432, 'cfn:ReportsDb': 5432, 'compose:web': 80, 'k8s:Service/shop/cart': 80 });
    expect(ports(after.out)).toEqual({ 'cfn:Cache': 6379, 'cfn:OrdersDb': 5433, 'cfn:ReportsDb': 5433, 'compose:web': 81, 'k8s:Service/shop/cart': 8088 });
    // Applying again finds nothing left to change where the port moved: the IaC now says 5433.
    const again = await run(['fix', 'iac', '--from', 'findings.json'], w.dir);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/no longer declares port 5432 for cfn:OrdersDb/);
  });

  it('refuses, with the reason and PD_FIX_UNSAFE, a port with no literal to edit, and still fixes the rest', async () => {
    const w = workspace([cache, compose]);
    const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], w.dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('fixed: compose.yaml:5 literal: 80 → 81 for compose:web');
    expect(r.err).toMatch(/refused: cfn:Cache \(stack.yaml:17\): literal at stack.yaml:17: port 6379 is not written on that line/);
    expect(r.err).toMatch(/1 of 2 moved findings not fixed .*\[PD_FIX_UNSAFE\]/);
    expect(readFileSync(join(w.iac, 'stack.yaml'), 'utf8')).toBe(FILES['stack.yaml']);
    expect(readFileSync(join(w.iac, 'compose.yaml'), 'utf8')).toContain('"8081:81"');
  });

  it('rejects a --from file that is not a report, and probe flags next to --from', async () => {
    const w = workspace([]);
    writeFileSync(join(w.dir, 'bad.json'), '{"findings": 3}');
    const bad = await run(['fix', 'iac', '--from', 'bad.json'], w.dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--from bad.json: not a portdrift report .*\[PD_USAGE\]/);
    const missing = await run(['fix', 'iac', '--from', 'nope.json'], w.dir);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/--from nope.json: cannot read: .*ENOENT/);
    const probeFlags = await run(['fix', 'iac', '--from', 'findings.json', '--ports', '1-10', '--timeout', '1s'], w.dir);
    expect(probeFlags.code).toBe(1);
    expect(probeFlags.err).toMatch(/--ports, --timeout only apply when fix scans; with --from the findings come from findings.json .*\[PD_USAGE\]/);
    const empty = await run(['fix', 'iac', '--from', 'findings.json'], w.dir);
    expect(empty).toMatchObject({ code: 0, out: '', err: 'nothing to fix: no moved finding\n' });
  });
});

describe('portdrift fix on Terraform', () => {
  const TF: Record<string, string> = {
    'main.tf': [
      'variable "db_port" {',
      '  type    = number',
      '  default = 5432',
      '}',
      '',
      'variable "api_port" {',
      '  default = 8080',
      '}',
      '',
      'locals {',
      '  base = 9000',
      '}',
      '',
      'resource "aws_db_instance" "orders" {',
      '  engine = "postgres"',
      '  port   = var.db_port',
      '}',
      '',
      'resource "aws_db_instance" "reports" {',
      '  engine = "postgres"',
      '  port   = var.db_port',
      '}',
      '',
      'resource "aws_lb_target_group" "api" {',
      '  port     = var.api_port',
      '  protocol = "HTTP"',
      '}',
      '',
      'resource "aws_lb_target_group" "admin" {',
      '  port     = local.base + 1',
      '  protocol = "HTTP"',
      '}',
      '',
      'resource "aws_elasticache_cluster" "cache" {',
      '  engine = "redis"',
      '  port   = 6379',
      '}',
      '',
    ].join('\n'),
    'terraform.tfvars': 'api_port = 8081\n',
  };

  function tfWorkspace(findings: DriftReport['findings']): { dir: string; iac: string } {
    const dir = join(base, `tf${n++}`);
    const iac = join(dir, 'iac');
    mkdirSync(iac, { recursive: true });
    for (const [file, text] of Object.entries(TF)) writeFileSync(join(iac, file), text);
    writeFileSync(join(dir, 'findings.json'), JSON.stringify(report(findings)));
    return { dir, iac };
  }

  const tf = (resource: string, port: number, observedPort: number, line: number) => moved(resource, '10.0.1.5', port, observedPort, { file: 'main.tf', line });

  it('edits the variable default (naming the other resource it feeds), the tfvars value that wins, and a literal; extract then shows the new ports', async () => {
    const w = tfWorkspace([tf('aws_db_instance.orders', 5432, 5433, 16), tf('aws_lb_target_group.api', 8081, 8082, 25), tf('aws_elasticache_cluster.cache', 6379, 6380, 36)]);
    const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], w.dir);
    expect(r.err).toBe(
      [
        'fixed: main.tf:3 variable "db_port" default: 5432 → 5433 for aws_db_instance.orders; the same value also feeds aws_db_instance.reports, which change too',
        'fixed: main.tf:36 literal: 6379 → 6380 for aws_elasticache_cluster.cache',
        'fixed: terraform.tfvars:1 api_port in a tfvars file: 8081 → 8082 for aws_lb_target_group.api',
        'wrote 2 files under ' + w.iac,
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(w.iac, 'terraform.tfvars'), 'utf8')).toBe('api_port = 8082\n');
    // The variable's default of 8080 is not the value in effect (tfvars wins), so it is untouched.
    expect(readFileSync(join(w.iac, 'main.tf'), 'utf8')).toBe(TF['main.tf']!.replace('default = 5432', 'default = 5433').replace('port   = 6379', 'port   = 6380'));
    const after = await run(['extract', 'iac', '--format', 'json'], w.dir);
    const ports = Object.fromEntries((JSON.parse(after.out).endpoints as Array<{ resource: string; port: number }>).map((e) => [e.resource, e.port]));
    expect(ports).toEqual({ 'aws_db_instance.orders': 5433, 'aws_db_instance.reports': 5433, 'aws_lb_target_group.api': 8082, 'aws_elasticache_cluster.cache': 6380 });
  });

  it('refuses a port computed by an expression, naming it', async () => {
    const w = tfWorkspace([tf('aws_lb_target_group.admin', 9001, 9002, 30)]);
    const r = await run(['fix', 'iac', '--from', 'findings.json'], w.dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('refused: aws_lb_target_group.admin (main.tf:30): the port of aws_lb_target_group.admin is computed by `${local.base + 1}` (main.tf:30), an expression fix cannot edit safely');
    expect(r.err).toContain('[PD_FIX_UNSAFE]');
  });

  it('refuses to give one variable two values when the resources it feeds moved apart', async () => {
    const w = tfWorkspace([tf('aws_db_instance.orders', 5432, 5433, 16), tf('aws_db_instance.reports', 5432, 5434, 21)]);
    const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], w.dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/refused: aws_db_instance.orders \(main.tf:3\): variable "db_port" default at main.tf:3 feeds aws_db_instance.orders \(now on 5433\) and aws_db_instance.reports \(now on 5434\): one value cannot match both/);
    expect(readFileSync(join(w.iac, 'main.tf'), 'utf8')).toBe(TF['main.tf']);
  });
});
