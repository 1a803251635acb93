// Module-heavy Terraform roots in the shape real projects have (test/fixtures/terraform-real,
// written for this suite): a named-rule map looked up through count and lookup defaults, presets
// that call the module again, conditional counts, for_each over a map of objects, container
// ports that come out of local module outputs, and a registry module installed by
// `terraform init`. Every port is asserted with its line, and so is every unresolved entry:
// what cannot be known is listed, never dropped.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from '../../../../../shared/iac/extract.js';
import type { DeclaredModel } from '../../../../../shared/types.js';

const base = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'terraform-real');
const options = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };

const run = (root: string): Promise<DeclaredModel> => extract([root], options, { cwd: base });
const ports = (m: DeclaredModel): string[] =>
  m.endpoints.map((e) => `${e.resource} ${e.port}${e.toPort ? `-${e.toPort}` : ''}/${e.protocol} ${e.role} ${e.source.file}:${e.source.line}`);
const unresolved = (m: DeclaredModel): string[] => m.unresolved.map((u) => `${u.resource} ${u.attribute} ${u.expression.replace(/\s+/g, ' ')} ${u.source.file}:${u.source.line}`);

describe('a security-group module driven by a named-rule map', () => {
  it('every rule whose inputs have defaults gets its ports; an undecidable count lists the rules as unresolved', async () => {
    const m = await run('sg-rules');
    expect(ports(m)).toEqual([
      'module.db_sg.module.sg.aws_security_group_rule.egress_rules[0] 1-65535/all allow modules/firewall/main.tf:26',
      'module.db_sg.module.sg.aws_security_group_rule.ingress_rules[0] 2049-2050/tcp allow modules/firewall/main.tf:16',
      'module.db_sg.module.sg.aws_security_group_rule.ingress_rules[1] 5432/tcp allow modules/firewall/main.tf:16',
      // Its count is unknown: one unindexed instance, with the literal ports it writes.
      'module.maybe_sg.aws_security_group_rule.computed_ingress 1/tcp allow modules/firewall/main.tf:59',
      'module.web_sg.aws_security_group_rule.ingress_rules[0] 443/tcp allow modules/firewall/main.tf:16',
      'module.web_sg.aws_security_group_rule.ingress_rules[1] 22/tcp allow modules/firewall/main.tf:16',
      'module.web_sg.aws_security_group_rule.ingress_with_cidr_blocks[0] 6379/tcp allow modules/firewall/main.tf:37',
      'module.web_sg.aws_security_group_rule.ingress_with_cidr_blocks[1] 8080-8090/tcp allow modules/firewall/main.tf:37',
      'module.web_sg.aws_security_group_rule.ingress_with_cidr_blocks[2] 53/udp allow modules/firewall/main.tf:37',
    ]);
    // The preset's rule comes from the named map's default: that is the line `fix` would edit.
    const pg = m.endpoints.find((e) => e.port === 5432)!;
    expect(pg.origin).toMatchObject({ kind: 'variable-default', name: 'rules', file: 'modules/firewall/rules.tf', line: 8, text: '5432' });
    const lookupRange = m.endpoints.find((e) => e.port === 8080)!;
    expect(lookupRange.origin).toMatchObject({ kind: 'module-input', name: 'ingress_with_cidr_blocks', file: 'main.tf', line: 21, text: '8080' });
    expect(unresolved(m)).toEqual([
      'module.maybe_sg.aws_security_group.this count ${var.create ? 1 : 0} modules/firewall/main.tf:2',
      'module.maybe_sg.aws_security_group_rule.computed_ingress count ${var.create ? var.number_of_computed_ingress_rules : 0} modules/firewall/main.tf:55',
      'module.maybe_sg.aws_security_group_rule.egress_rules count ${var.create ? length(var.egress_rules) : 0} modules/firewall/main.tf:22',
      'module.maybe_sg.aws_security_group_rule.egress_rules from_port ${var.rules[var.egress_rules[count.index]][0]} modules/firewall/main.tf:26',
      'module.maybe_sg.aws_security_group_rule.egress_rules to_port ${var.rules[var.egress_rules[count.index]][1]} modules/firewall/main.tf:27',
      'module.maybe_sg.aws_security_group_rule.egress_rules protocol ${var.rules[var.egress_rules[count.index]][2]} modules/firewall/main.tf:28',
      'module.maybe_sg.aws_security_group_rule.ingress_rules count ${var.create ? length(var.ingress_rules) : 0} modules/firewall/main.tf:11',
      'module.maybe_sg.aws_security_group_rule.ingress_rules from_port ${var.rules[var.ingress_rules[count.index]][0]} modules/firewall/main.tf:16',
      'module.maybe_sg.aws_security_group_rule.ingress_rules to_port ${var.rules[var.ingress_rules[count.index]][1]} modules/firewall/main.tf:17',
      'module.maybe_sg.aws_security_group_rule.ingress_rules protocol ${var.rules[var.ingress_rules[count.index]][2]} modules/firewall/main.tf:18',
      'module.maybe_sg.aws_security_group_rule.ingress_with_cidr_blocks count ${var.create ? length(var.ingress_with_cidr_blocks) : 0} modules/firewall/main.tf:32',
      'module.maybe_sg.aws_security_group_rule.ingress_with_cidr_blocks from_port ${lookup( var.ingress_with_cidr_blocks[count.index], "from_port", var.rules[lookup(var.ingress_with_cidr_blocks[count.index], "rule", "_")][0], )} modules/firewall/main.tf:37',
      'module.maybe_sg.aws_security_group_rule.ingress_with_cidr_blocks to_port ${lookup( var.ingress_with_cidr_blocks[count.index], "to_port", var.rules[lookup(var.ingress_with_cidr_blocks[count.index], "rule", "_")][1], )} modules/firewall/main.tf:42',
      'module.maybe_sg.aws_security_group_rule.ingress_with_cidr_blocks protocol ${lookup( var.ingress_with_cidr_blocks[count.index], "protocol", var.rules[lookup(var.ingress_with_cidr_blocks[count.index], "rule", "_")][2], )} modules/firewall/main.tf:47',
    ]);
    // create = false: the module's resources do not exist at all.
    expect(m.resources.some((r) => r.address.startsWith('module.off_sg'))).toBe(false);
    expect(m.problems).toEqual([]);
  });
});

describe('an ECS service module fed by local module outputs', () => {
  it('containerPort from a local and from another module output; a variable without value is unresolved', async () => {
    const m = await run('ecs-service');
    expect(ports(m)).toEqual([
      'aws_lb_target_group.web 80/tcp listen main.tf:81',
      'module.frontend.aws_ecs_service.this[0] 80/tcp listen modules/service/main.tf:58',
      'module.frontend.aws_ecs_task_definition.this[0] 80/tcp listen modules/service/main.tf:44',
      'module.frontend.aws_ecs_task_definition.this[0] 3000/tcp listen modules/service/main.tf:44',
      // A typed input: the port left out is the optional() default, "9090" converts to a number.
      'module.frontend.aws_vpc_security_group_ingress_rule.this["admin"] 9090/tcp allow modules/service/main.tf:84',
      'module.frontend.aws_vpc_security_group_ingress_rule.this["alb"] 8080/tcp allow modules/service/main.tf:84',
    ]);
    const alb = m.endpoints.find((e) => e.port === 8080)!;
    expect(alb.origin).toMatchObject({ kind: 'variable-default', name: 'ingress', file: 'modules/service/main.tf', line: 70, text: '8080' });
    expect(m.endpoints.find((e) => e.port === 9090)!.origin).toMatchObject({ kind: 'module-input', name: 'ingress', file: 'main.tf', line: 46 });
    const byPort = (p: number) => m.endpoints.find((e) => e.port === p && e.resource.includes('task_definition'))!.origin;
    expect(byPort(3000)).toMatchObject({ kind: 'local', name: 'container_port', file: 'main.tf', line: 3 });
    expect(byPort(80)).toMatchObject({ kind: 'local', name: 'ports', file: 'modules/app-config/main.tf', line: 8 });
    expect(unresolved(m)).toEqual([
      'module.worker.aws_ecs_task_definition.this[0] container_definitions[0].portMappings[0].containerPort ${var.worker_port} modules/service/main.tf:44',
    ]);
    expect(m.problems).toEqual([]);
  });
});

describe('databases whose engine comes from conditionals, maps of objects and sources', () => {
  it('a decidable engine gives its default port; an undecidable or inherited one is listed', async () => {
    const m = await run('rds');
    expect(ports(m)).toEqual([
      'aws_db_instance.primary 3306/tcp listen main.tf:34',
      'aws_db_instance.tenant["acme"] 5432/tcp listen main.tf:58',
      'aws_db_instance.tenant["globex"] 3307/tcp listen main.tf:63',
      'aws_db_instance.tenant["initech"] 1433/tcp listen main.tf:58',
      'aws_security_group_rule.db["mysql"] 3306/tcp allow main.tf:72',
      'aws_security_group_rule.db["postgres"] 5432/tcp allow main.tf:72',
      'aws_security_group_rule.db["sqlserver-ex"] 1433/tcp allow main.tf:72',
    ]);
    expect(m.endpoints.find((e) => e.port === 3307)!.origin).toMatchObject({ kind: 'variable-default', name: 'tenants', line: 23 });
    expect(unresolved(m)).toEqual([
      'aws_db_instance.analytics port (default by engine) ${aws_db_instance.primary.engine == "mysql" ? "mysql" : "postgres"} main.tf:55',
      'aws_db_instance.replica port (inherited through replicate_source_db) ${aws_db_instance.primary.identifier} main.tf:43',
      'aws_db_instance.reporting port (default by engine) ${var.engine} main.tf:49',
      'aws_security_group_rule.from_elsewhere from_port ${aws_db_instance.primary.port} main.tf:80',
      'aws_security_group_rule.from_elsewhere to_port ${aws_db_instance.primary.port} main.tf:81',
    ]);
  });
});

describe('registry and git modules', () => {
  it('after terraform init, modules.json leads to the installed directories, nested keys included', async () => {
    const m = await run('registry');
    expect(ports(m)).toEqual([
      'module.cache.aws_elasticache_replication_group.this 6380/tcp listen .terraform/modules/cache/main.tf:18',
      'module.cache.module.endpoint.aws_vpc_security_group_ingress_rule.simple["redis"] 6380/tcp allow .terraform/modules/cache.endpoint/main.tf:24',
      'module.cache.module.endpoint.aws_vpc_security_group_ingress_rule.this["redis-10.0.0.0/16"] 6380/tcp allow .terraform/modules/cache.endpoint/main.tf:15',
    ]);
    // The module input written in the root is what `fix` edits, even through two registry modules.
    expect(m.endpoints.map((e) => e.origin)).toMatchObject(Array(3).fill({ kind: 'module-input', name: 'port', file: 'main.tf', line: 6 }));
    expect(m.unresolved).toEqual([]);
    expect(m.problems.map((p) => `${p.file}:${p.line} ${p.code} ${p.message}`)).toEqual([
      'main.tf:11 PD_IAC_MODULE module.queue: source "git::https://git.example/infra/queue.git?ref=v1" is not in .terraform/modules/modules.json (run `terraform init` again); the module\'s resources are not extracted',
    ]);
  });

  it('without terraform init, a registry source is a problem naming it', async () => {
    const m = await run('registry-uninit');
    expect(m.problems.map((p) => `${p.file}:${p.line} ${p.code} ${p.message}`)).toEqual([
      'main.tf:2 PD_IAC_MODULE module.cache: source "example-corp/redis/aws" is not a local path and no `.terraform/modules/modules.json` was found (run `terraform init` first); the module\'s resources are not extracted',
    ]);
  });
});

describe('module outputs with count and for_each', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portdrift-tf-outputs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('module.x[i].out and module.x["k"].out; an output of an undecidable module is unresolved', async () => {
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'm', 'main.tf'), 'variable "p" {}\noutput "port" {\n  value = var.p + 1\n}\n');
    await writeFile(
      join(dir, 'main.tf'),
      [
        'variable "n" {}',
        'module "counted" {',
        '  count  = 2',
        '  source = "./m"',
        '  p      = 8000 + count.index',
        '}',
        'module "keyed" {',
        '  for_each = { api = 9000 }',
        '  source   = "./m"',
        '  p        = each.value',
        '}',
        'module "unknown" {',
        '  count  = var.n',
        '  source = "./m"',
        '  p      = 1',
        '}',
        'resource "aws_lb_target_group" "a" {',
        '  port = module.counted[1].port',
        '}',
        'resource "aws_lb_target_group" "b" {',
        '  port = module.keyed["api"].port',
        '}',
        'resource "aws_lb_target_group" "c" {',
        '  port = module.unknown[0].port',
        '}',
        '',
      ].join('\n'),
    );
    const m = await extract([dir], options, { cwd: dir });
    expect(ports(m)).toEqual(['aws_lb_target_group.a 8002/tcp listen main.tf:18', 'aws_lb_target_group.b 9001/tcp listen main.tf:21']);
    expect(unresolved(m)).toEqual(['aws_lb_target_group.c port ${module.unknown[0].port} main.tf:24', 'module.unknown count ${var.n} main.tf:13']);
  });
});
