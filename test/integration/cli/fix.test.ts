// `portdrift fix --from FILE` on real IaC files (fix that scans first: test/integration/ci/fix-scan.test.ts): the diff,
// `--write`, the refusals, and
// `extract` after `fix --write` showing the new ports.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { finding, report } from '../../fixtures/findings.js';
import { run } from './run.js';
import { rx } from '../../rx.js';

const base = mkdtempSync(join(tmpdir(), 'pd-fix-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  'k8s/cart.yaml':
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n  namespace: shop\nspec:\n  ' +
    'selector:\n    app: cart\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n',
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

const moved = (
  resource: string,
  host: string,
  port: number,
  observedPort: number,
  source: { file: string; line: number },
) => finding({ kind: 'moved', id: `f_${resource}`, resource, host, port, observedPort, source });

const k8s = moved('k8s:Service/shop/cart', 'cart.shop.svc.cluster.local', 80, 8088, {
  file: 'k8s/cart.yaml',
  line: 11,
});
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
        'fix: stack.yaml:5 parameter DbPort Default: 5432 → 5433 for ' +
          'cfn:OrdersDb; the same value also feeds cfn:ReportsDb, which change too',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '--- a/iac/stack.yaml\n+++ b/iac/stack.yaml\n@@ -2,7 +2,7 @@\n Parameters:\n ' +
        '  DbPort:\n     Type: Number\n-    Default: 5432\n+    Default: 5433\n',
    );
    expect(r.out).toContain('-      - "8081:80"\n+      - "8081:81"\n');
    expect(r.out).toContain('-      port: 80\n+      port: 8088\n');
    for (const [file, text] of Object.entries(FILES)) expect(readFileSync(join(w.iac, file), 'utf8')).toBe(text);
    // The printed diff names files relative to where fix ran, so git applies it there.
    writeFileSync(join(w.dir, 'fix.diff'), r.out);
    execFileSync('git', ['apply', '--check', join(w.dir, 'fix.diff')], { cwd: w.dir, stdio: 'pipe' });
  });

  it('--write applies exactly the edits, and extract then shows the new ports', async () => {
    const w = workspace([k8s, compose, orders]);
    const before = await run(['extract', 'iac', '--format', 'json'], w.dir);
    const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], w.dir);
    expect(r.code).toBe(0);
    expect(r.err).toContain('wrote 3 files under');
    expect(readFileSync(join(w.iac, 'stack.yaml'), 'utf8')).toBe(
      FILES['stack.yaml']!.replace('Default: 5432', 'Default: 5433'),
    );
    const after = await run(['extract', 'iac', '--format', 'json'], w.dir);
    const ports = (json: string) =>
      Object.fromEntries(
        (JSON.parse(json).endpoints as Array<{ resource: string; port: number }>).map((e) => [e.resource, e.port]),
      );
    expect(ports(before.out)).toEqual({
      'cfn:Cache': 6379,
      'cfn:OrdersDb': 5432,
      'cfn:ReportsDb': 5432,
      'compose:web': 80,
      'k8s:Service/shop/cart': 80,
    });
    expect(ports(after.out)).toEqual({
      'cfn:Cache': 6379,
      'cfn:OrdersDb': 5433,
      'cfn:ReportsDb': 5433,
      'compose:web': 81,
      'k8s:Service/shop/cart': 8088,
    });
    // Applying again finds nothing left to change where the port moved: the IaC now says 5433.
    const again = await run(['fix', 'iac', '--from', 'findings.json'], w.dir);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/no longer declares port 5432 for cfn:OrdersDb/);
  });

  it(
    'refuses, with the reason and PD_FIX_UNSAFE, a port ' + 'with no literal to edit, and still fixes the rest',
    async () => {
      const w = workspace([cache, compose]);
      const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], w.dir);
      expect(r.code).toBe(1);
      expect(r.err).toContain('fixed: compose.yaml:5 literal: 80 → 81 for compose:web');
      expect(r.err).toMatch(/refused: cfn:Cache \(stack.yaml:17\): port 6379 is not written on that line/);
      expect(r.err).toMatch(/1 of 2 moved findings not fixed .*\[PD_FIX_UNSAFE\]/);
      expect(readFileSync(join(w.iac, 'stack.yaml'), 'utf8')).toBe(FILES['stack.yaml']);
      expect(readFileSync(join(w.iac, 'compose.yaml'), 'utf8')).toContain('"8081:81"');
    },
  );

  it('rejects a --from file that is not a report, and probe flags next to --from', async () => {
    const w = workspace([]);
    writeFileSync(join(w.dir, 'bad.json'), '{"findings": 3}');
    const bad = await run(['fix', 'iac', '--from', 'bad.json'], w.dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--from bad.json: not a portdrift report .*\[PD_USAGE\]/);
    // A hand-edited report: every bad field named, and nothing written into the IaC.
    const moved = { id: 'f_1', kind: 'moved', resource: 'aws_db_instance.a', host: 'h', port: 5432 };
    writeFileSync(
      join(w.dir, 'edited.json'),
      JSON.stringify({
        version: 1,
        findings: [
          { ...moved, observedPort: 99999 },
          { ...moved, observedPort: 5432 },
          { ...moved, observedPort: '5433' },
          { ...moved, port: 0, host: '' },
        ],
      }),
    );
    const edited = await run(['fix', 'iac', '--from', 'edited.json', '--write'], w.dir);
    expect(edited.code).toBe(1);
    expect(edited.err).toBe(
      'portdrift: --from edited.json: findings[0].observedPort: must be a port number (1-65535), got 99999; ' +
        'findings[1].observedPort: equals port (5432): nothing moved; findings[2].observedPort: must be a port ' +
        'number (1-65535), got "5433"; findings[3].host: must be a non-empty ' +
        'string; findings[3].port: must be a port number (1-65535), got 0 [PD_USAGE]\n',
    );
    const missing = await run(['fix', 'iac', '--from', 'nope.json'], w.dir);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/--from nope.json: cannot read: .*ENOENT/);
    const probeFlags = await run(
      ['fix', 'iac', '--from', 'findings.json', '--ports', '1-10', '--timeout', '1s'],
      w.dir,
    );
    expect(probeFlags.code).toBe(1);
    expect(probeFlags.err).toMatch(
      /--ports, --timeout only apply when fix scans; with --from the findings come from findings.json .*\[PD_USAGE\]/,
    );
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

  const tf = (resource: string, port: number, observedPort: number, line: number) =>
    moved(resource, '10.0.1.5', port, observedPort, { file: 'main.tf', line });

  it(
    'edits the variable default (naming the other resource it feeds), the ' +
      'tfvars value that wins, and a literal; extract then shows the new ports',
    async () => {
      const w = tfWorkspace([
        tf('aws_db_instance.orders', 5432, 5433, 16),
        tf('aws_lb_target_group.api', 8081, 8082, 25),
        tf('aws_elasticache_cluster.cache', 6379, 6380, 36),
      ]);
      const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], w.dir);
      expect(r.err).toBe(
        [
          'fixed: main.tf:3 variable "db_port" default: 5432 → 5433 for aws_db_instance.orders; ' +
            'the same value also feeds aws_db_instance.reports, which change too',
          'fixed: main.tf:36 literal: 6379 → 6380 for aws_elasticache_cluster.cache',
          'fixed: terraform.tfvars:1 api_port in a tfvars file: 8081 → 8082 for aws_lb_target_group.api',
          `wrote 2 files under ${w.iac}`,
          '',
        ].join('\n'),
      );
      expect(r.code).toBe(0);
      expect(readFileSync(join(w.iac, 'terraform.tfvars'), 'utf8')).toBe('api_port = 8082\n');
      // The variable's default of 8080 is not the value in effect (tfvars wins), so it is untouched.
      expect(readFileSync(join(w.iac, 'main.tf'), 'utf8')).toBe(
        TF['main.tf']!.replace('default = 5432', 'default = 5433').replace('port   = 6379', 'port   = 6380'),
      );
      const after = await run(['extract', 'iac', '--format', 'json'], w.dir);
      const ports = Object.fromEntries(
        (JSON.parse(after.out).endpoints as Array<{ resource: string; port: number }>).map((e) => [e.resource, e.port]),
      );
      expect(ports).toEqual({
        'aws_db_instance.orders': 5433,
        'aws_db_instance.reports': 5433,
        'aws_lb_target_group.api': 8082,
        'aws_elasticache_cluster.cache': 6380,
        // `local.base + 1`: evaluated by the extractor, not edited by fix.
        'aws_lb_target_group.admin': 9001,
      });
    },
  );

  it('refuses a port computed by an expression, naming it', async () => {
    const w = tfWorkspace([tf('aws_lb_target_group.admin', 9001, 9002, 30)]);
    const r = await run(['fix', 'iac', '--from', 'findings.json'], w.dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    // The extractor evaluates `local.base + 1` (9001), but the port has no literal to edit.
    expect(r.err).toContain(
      'refused: aws_lb_target_group.admin (main.tf:30): the value `local.base + 1` is an expression',
    );
    expect(r.err).toContain('[PD_FIX_UNSAFE]');
  });

  it('refuses to give one variable two values when the resources it feeds moved apart', async () => {
    const w = tfWorkspace([
      tf('aws_db_instance.orders', 5432, 5433, 16),
      tf('aws_db_instance.reports', 5432, 5434, 21),
    ]);
    const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], w.dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      rx(
        /refused: aws_db_instance.orders \(main.tf:3\): variable "db_port" default at main.tf:3 /,
        /feeds aws_db_instance.orders \(now on 5433\)/,
        / and aws_db_instance.reports \(now on 5434\): one value cannot match both/,
      ),
    );
    expect(readFileSync(join(w.iac, 'main.tf'), 'utf8')).toBe(TF['main.tf']);
  });
});

describe('portdrift fix on every origin kind', () => {
  const FILES2: Record<string, string> = {
    'main.tf': [
      'locals {',
      '  cache_port = 6380',
      '}',
      '',
      'variable "web_port" {',
      '  default = 8080',
      '}',
      '',
      'variable "json_port" {',
      '  default = 7000',
      '}',
      '',
      'resource "aws_elasticache_cluster" "cache" {',
      '  engine = "redis"',
      '  port   = local.cache_port',
      '}',
      '',
      'resource "aws_lb_target_group" "web" {',
      '  port     = var.web_port',
      '  protocol = "HTTP"',
      '}',
      '',
      'resource "aws_lb_target_group" "json" {',
      '  port     = var.json_port',
      '  protocol = "HTTP"',
      '}',
      '',
      'module "svc" {',
      '  source   = "./modules/svc"',
      '  app_port = 9000',
      '}',
      '',
    ].join('\n'),
    'modules/svc/main.tf':
      'variable "app_port" {\n  type = number\n}\n\nresource "aws_lb_target_group" ' +
      '"app" {\n  port     = var.app_port\n  protocol = "HTTP"\n}\n',
    'ports.auto.tfvars.json': '{\n  "json_port": 7001\n}\n',
    'prod.tfvars': 'web_port = 8088\n',
    'cfn/stack.json':
      '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "Db": {\n      "Type": ' +
      '"AWS::RDS::DBInstance",\n      "Properties": { "Engine": "postgres", "Port": "5432" }\n    }\n  }\n}\n',
    'cfn/api.yaml': [
      'AWSTemplateFormatVersion: "2010-09-09"',
      'Parameters:',
      '  ApiPort:',
      '    Type: Number',
      '    Default: 8000',
      'Resources:',
      '  ApiDb:',
      '    Type: AWS::RDS::DBInstance',
      '    Properties:',
      '      Engine: mysql',
      '      Port: !Ref ApiPort',
      '  SubDb:',
      '    Type: AWS::RDS::DBInstance',
      '    Properties:',
      '      Engine: mysql',
      '      Port: !Sub "${ApiPort}"',
      '',
    ].join('\n'),
  };
  // The parameters file lives beside the IaC root, not under it (as in many repositories).
  const PARAMS = '[\n  { "ParameterKey": "ApiPort", "ParameterValue": "8001" }\n]\n';
  const flags = ['--var-file', 'iac/prod.tfvars', '--parameters', 'params.json'];
  const f = (resource: string, port: number, observedPort: number, file: string, line: number) =>
    moved(resource, '10.0.1.5', port, observedPort, { file, line });
  const all = [
    f('aws_elasticache_cluster.cache', 6380, 6381, 'main.tf', 15),
    f('aws_lb_target_group.json', 7001, 7002, 'main.tf', 24),
    f('aws_lb_target_group.web', 8088, 8089, 'main.tf', 19),
    f('module.svc.aws_lb_target_group.app', 9000, 9001, 'modules/svc/main.tf', 6),
    f('cfn:Db', 5432, 5433, 'cfn/stack.json', 6),
    f('cfn:ApiDb', 8001, 8002, 'cfn/api.yaml', 11),
    f('cfn:SubDb', 8001, 8003, 'cfn/api.yaml', 16),
  ];

  function setup(): { dir: string; iac: string } {
    const dir = join(base, `all${n++}`);
    const iac = join(dir, 'iac');
    for (const [file, text] of Object.entries(FILES2)) {
      mkdirSync(join(iac, file, '..'), { recursive: true });
      writeFileSync(join(iac, file), text);
    }
    writeFileSync(join(dir, 'params.json'), PARAMS);
    writeFileSync(join(dir, 'findings.json'), JSON.stringify(report(all)));
    return { dir, iac };
  }

  it(
    'edits a local, a module input, a tfvars.json value, a --var-file value, ' +
      'a CloudFormation JSON literal and a parameters-file value; refuses !Sub',
    async () => {
      const w = setup();
      const r = await run(['fix', 'iac', '--from', 'findings.json', ...flags], w.dir);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        [
          'fix: ../params.json:2 parameter ApiPort in a parameters file: 8001 → 8002 for cfn:ApiDb',
          'fix: cfn/stack.json:6 literal: 5432 → 5433 for cfn:Db',
          'fix: main.tf:2 local.cache_port: 6380 → 6381 for aws_elasticache_cluster.cache',
          'fix: main.tf:30 module input app_port: 9000 → 9001 for module.svc.aws_lb_target_group.app',
          'fix: ports.auto.tfvars.json:2 json_port in a tfvars file: 7001 → 7002 for aws_lb_target_group.json',
          'fix: prod.tfvars:1 web_port in a tfvars file: 8088 → 8089 for aws_lb_target_group.web',
          'refused: cfn:SubDb (cfn/api.yaml:16): the value `!Sub "${ApiPort}"` is an expression, not a literal',
          'portdrift: 1 of 7 moved findings not fixed (reasons above); edit it by hand [PD_FIX_UNSAFE]',
          '',
        ].join('\n'),
      );
      // Paths relative to where fix ran: the parameters file is under it too, so git takes it all.
      expect(r.out).toContain('--- a/params.json\n+++ b/params.json\n');
      // The module input is edited where the module is called, not inside the module.
      expect(r.out).toContain('-  app_port = 9000\n+  app_port = 9001\n');
      expect(r.out).not.toContain('a/iac/modules/');
      writeFileSync(join(w.dir, 'fix.diff'), r.out);
      execFileSync('git', ['apply', '--check', join(w.dir, 'fix.diff')], { cwd: w.dir, stdio: 'pipe' });
      // From inside the IaC root the parameters file is outside the working directory: said so.
      const inside = await run(
        ['fix', '.', '--from', '../findings.json', '--var-file', 'prod.tfvars', '--parameters', '../params.json'],
        w.iac,
      );
      expect(inside.out).toContain('--- a/../params.json\n');
      expect(inside.err).toContain(
        'note: ../params.json is outside the working directory: `git apply` ' +
          'refuses that path; use --write, or run fix from a directory above it',
      );
    },
  );

  it('--write edits every one of them, and extract then shows the new ports', async () => {
    const w = setup();
    const r = await run(['fix', 'iac', '--from', 'findings.json', '--write', ...flags], w.dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`wrote 5 files under ${w.iac}`);
    expect(readFileSync(join(w.dir, 'params.json'), 'utf8')).toBe(PARAMS.replace('8001', '8002'));
    expect(readFileSync(join(w.iac, 'modules/svc/main.tf'), 'utf8')).toBe(FILES2['modules/svc/main.tf']);
    expect(readFileSync(join(w.iac, 'cfn/api.yaml'), 'utf8')).toBe(FILES2['cfn/api.yaml']);
    const after = await run(['extract', 'iac', '--format', 'json', ...flags], w.dir);
    const ports = Object.fromEntries(
      (JSON.parse(after.out).endpoints as Array<{ resource: string; port: number }>).map((e) => [e.resource, e.port]),
    );
    expect(ports).toEqual({
      'aws_elasticache_cluster.cache': 6381,
      'aws_lb_target_group.json': 7002,
      'aws_lb_target_group.web': 8089,
      'module.svc.aws_lb_target_group.app': 9001,
      'cfn:Db': 5433,
      // ApiDb and SubDb both read ApiPort: SubDb (refused, through !Sub) follows the parameter.
      'cfn:ApiDb': 8002,
      'cfn:SubDb': 8002,
    });
  });
});

describe('portdrift fix on Terraform JSON and ECS container definitions', () => {
  const ECS = [
    'resource "aws_ecs_task_definition" "api" {',
    '  family = "api"',
    '  container_definitions = jsonencode([',
    '    {',
    '      name = "api"',
    '      portMappings = [',
    '        { containerPort = 8080 },',
    '        { containerPort = 8090, hostPort = 8090 }',
    '      ]',
    '    }',
    '  ])',
    '}',
    '',
    'resource "aws_ecs_task_definition" "worker" {',
    '  family                = "worker"',
    '  container_definitions = <<EOT',
    '[',
    '  {',
    '    "name": "worker",',
    '    "portMappings": [{ "containerPort": 7070 }]',
    '  }',
    ']',
    'EOT',
    '}',
    '',
  ].join('\n');
  const TFJSON =
    '{\n  "resource": {\n    "aws_db_instance": {\n      "orders": {\n      ' +
    '  "engine": "postgres",\n        "port": 5432\n      }\n    }\n  }\n}\n';

  it(
    'edits a .tf.json literal and containerPorts in jsonencode ' +
      'and in a heredoc; refuses a line holding the port twice',
    async () => {
      const dir = join(base, `ecs${n++}`);
      mkdirSync(join(dir, 'iac'), { recursive: true });
      writeFileSync(join(dir, 'iac', 'ecs.tf'), ECS);
      writeFileSync(join(dir, 'iac', 'db.tf.json'), TFJSON);
      const f = (resource: string, port: number, observedPort: number, file: string, line: number) =>
        finding({
          kind: 'moved',
          id: `f_${resource}_${port}`,
          resource,
          host: '10.0.2.10',
          port,
          observedPort,
          source: { file, line },
        });
      writeFileSync(
        join(dir, 'findings.json'),
        JSON.stringify(
          report([
            f('aws_db_instance.orders', 5432, 5433, 'db.tf.json', 6),
            f('aws_ecs_task_definition.api', 8080, 8081, 'ecs.tf', 7),
            f('aws_ecs_task_definition.api', 8090, 8091, 'ecs.tf', 8),
            f('aws_ecs_task_definition.worker', 7070, 7071, 'ecs.tf', 20),
          ]),
        ),
      );
      const r = await run(['fix', 'iac', '--from', 'findings.json', '--write'], dir);
      expect(r.code).toBe(1);
      expect(r.err).toContain('fixed: db.tf.json:6 literal: 5432 → 5433 for aws_db_instance.orders\n');
      expect(r.err).toContain('fixed: ecs.tf:7 literal: 8080 → 8081 for aws_ecs_task_definition.api\n');
      expect(r.err).toContain('fixed: ecs.tf:20 literal: 7070 → 7071 for aws_ecs_task_definition.worker\n');
      expect(r.err).toContain(
        'refused: aws_ecs_task_definition.api (ecs.tf:8): literal at ecs.tf:8: the literal `8090` appears more ' +
          'than once on that line (`{ containerPort = 8090, hostPort = 8090 }`); which one is meant is ambiguous\n',
      );
      expect(readFileSync(join(dir, 'iac', 'db.tf.json'), 'utf8')).toBe(TFJSON.replace('5432', '5433'));
      expect(readFileSync(join(dir, 'iac', 'ecs.tf'), 'utf8')).toBe(
        ECS.replace('containerPort = 8080', 'containerPort = 8081').replace(
          '"containerPort": 7070',
          '"containerPort": 7071',
        ),
      );
      const after = await run(['extract', 'iac', '--format', 'json'], dir);
      expect(
        (JSON.parse(after.out).endpoints as Array<{ resource: string; port: number }>)
          .map((e) => `${e.resource}:${e.port}`)
          .sort(),
      ).toEqual(
        [
          'aws_db_instance.orders:5433',
          'aws_ecs_task_definition.api:8081',
          'aws_ecs_task_definition.api:8090',
          'aws_ecs_task_definition.worker:7071',
        ].sort(),
      );
    },
  );
});

describe('portdrift fix on IaC that does not parse', () => {
  it('prints the extraction problems and refuses the findings in that file, naming the problem', async () => {
    const dir = join(base, `broken${n++}`);
    mkdirSync(join(dir, 'iac'), { recursive: true });
    writeFileSync(join(dir, 'iac', 'rds.tf'), 'resource "aws_db_instance" "orders" {\n  port = 5432\n');
    writeFileSync(join(dir, 'iac', 'compose.yaml'), 'services:\n  web:\n    ports:\n      - "8081:80"\n');
    writeFileSync(
      join(dir, 'findings.json'),
      JSON.stringify(
        report([
          moved('aws_db_instance.orders', '10.0.1.5', 5432, 5433, { file: 'rds.tf', line: 2 }),
          moved('compose:web', 'web', 80, 81, { file: 'compose.yaml', line: 4 }),
        ]),
      ),
    );
    const r = await run(['fix', 'iac', '--from', 'findings.json'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^portdrift: 1 problem \(everything else was extracted\):\n {2}rds\.tf:\d+: .+\n/);
    expect(r.err).toContain('fix: compose.yaml:4 literal: 80 → 81 for compose:web\n');
    expect(r.err).toMatch(
      /refused: aws_db_instance\.orders \(rds\.tf:2\): rds\.tf(:\d+)? could not be extracted \(.+\); fix that first\n/,
    );
    expect(r.out).toContain('+      - "8081:81"');
  });
});
