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
  m.endpoints.map((e) => {
    const range = `${e.port}${e.toPort ? `-${e.toPort}` : ''}/${e.protocol}`;
    return `${e.resource} ${range} ${e.role} ${e.source.file}:${e.source.line}`;
  });
const unresolved = (m: DeclaredModel): string[] =>
  m.unresolved.map((u) => {
    const expression = u.expression.replace(/\s+/g, ' ');
    return `${u.resource} ${u.attribute} ${expression} ${u.source.file}:${u.source.line}`;
  });
const F = 'modules/firewall/main.tf';
const SG = 'aws_security_group_rule';

describe('a security-group module driven by a named-rule map', () => {
  it('every rule whose inputs have defaults has its ports; an undecidable count lists them as unresolved', async () => {
    const m = await run('sg-rules');
    expect(ports(m)).toEqual([
      `module.db_sg.module.sg.${SG}.egress_rules[0] 1-65535/all allow ${F}:26`,
      `module.db_sg.module.sg.${SG}.ingress_rules[0] 2049-2050/tcp allow ${F}:16`,
      `module.db_sg.module.sg.${SG}.ingress_rules[1] 5432/tcp allow ${F}:16`,
      // Its count is unknown: one unindexed instance, with the literal ports it writes.
      `module.maybe_sg.${SG}.computed_ingress 1/tcp allow ${F}:59`,
      `module.web_sg.${SG}.ingress_rules[0] 443/tcp allow ${F}:16`,
      `module.web_sg.${SG}.ingress_rules[1] 22/tcp allow ${F}:16`,
      `module.web_sg.${SG}.ingress_with_cidr_blocks[0] 6379/tcp allow ${F}:37`,
      `module.web_sg.${SG}.ingress_with_cidr_blocks[1] 8080-8090/tcp allow ${F}:37`,
      `module.web_sg.${SG}.ingress_with_cidr_blocks[2] 53/udp allow ${F}:37`,
    ]);
    // The preset's rule comes from the named map's default: that is the line `fix` would edit.
    const pg = m.endpoints.find((e) => e.port === 5432)!;
    expect(pg.origin).toMatchObject({ kind: 'variable-default', name: 'rules', file: 'modules/firewall/rules.tf' });
    expect(pg.origin?.line).toBe(8);
    const lookupRange = m.endpoints.find((e) => e.port === 8080)!;
    expect(lookupRange.origin).toMatchObject({ kind: 'module-input', name: 'ingress_with_cidr_blocks', line: 21 });
    const maybe = `module.maybe_sg.${SG}`;
    const named = (list: string, i: number): string => `\${var.rules[var.${list}[count.index]][${i}]}`;
    const withCidr = (key: string, i: number): string =>
      `\${lookup( var.ingress_with_cidr_blocks[count.index], "${key}", ` +
      `var.rules[lookup(var.ingress_with_cidr_blocks[count.index], "rule", "_")][${i}], )}`;
    expect(unresolved(m)).toEqual([
      `module.maybe_sg.aws_security_group.this count \${var.create ? 1 : 0} ${F}:2`,
      `${maybe}.computed_ingress count \${var.create ? var.number_of_computed_ingress_rules : 0} ${F}:55`,
      `${maybe}.egress_rules count \${var.create ? length(var.egress_rules) : 0} ${F}:22`,
      `${maybe}.egress_rules from_port ${named('egress_rules', 0)} ${F}:26`,
      `${maybe}.egress_rules to_port ${named('egress_rules', 1)} ${F}:27`,
      `${maybe}.egress_rules protocol ${named('egress_rules', 2)} ${F}:28`,
      `${maybe}.ingress_rules count \${var.create ? length(var.ingress_rules) : 0} ${F}:11`,
      `${maybe}.ingress_rules from_port ${named('ingress_rules', 0)} ${F}:16`,
      `${maybe}.ingress_rules to_port ${named('ingress_rules', 1)} ${F}:17`,
      `${maybe}.ingress_rules protocol ${named('ingress_rules', 2)} ${F}:18`,
      `${maybe}.ingress_with_cidr_blocks count \${var.create ? length(var.ingress_with_cidr_blocks) : 0} ${F}:32`,
      `${maybe}.ingress_with_cidr_blocks from_port ${withCidr('from_port', 0)} ${F}:37`,
      `${maybe}.ingress_with_cidr_blocks to_port ${withCidr('to_port', 1)} ${F}:42`,
      `${maybe}.ingress_with_cidr_blocks protocol ${withCidr('protocol', 2)} ${F}:47`,
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
      // One containerPort key written inside a `for`: both ports point at it.
      'aws_ecs_task_definition.multi 8081/tcp listen main.tf:92',
      'aws_ecs_task_definition.multi 8082/tcp listen main.tf:92',
      'aws_lb_target_group.web 80/tcp listen main.tf:81',
      'module.frontend.aws_ecs_service.this[0] 80/tcp listen modules/service/main.tf:58',
      'module.frontend.aws_ecs_task_definition.this[0] 80/tcp listen modules/service/main.tf:44',
      'module.frontend.aws_ecs_task_definition.this[0] 3000/tcp listen modules/service/main.tf:44',
      // A typed input: the port left out is the optional() default, "9090" converts to a number.
      'module.frontend.aws_vpc_security_group_ingress_rule.this["admin"] 9090/tcp allow modules/service/main.tf:84',
      'module.frontend.aws_vpc_security_group_ingress_rule.this["alb"] 8080/tcp allow modules/service/main.tf:84',
    ]);
    const alb = m.endpoints.find((e) => e.port === 8080)!;
    expect(alb.origin).toMatchObject({ kind: 'variable-default', name: 'ingress', file: 'modules/service/main.tf' });
    expect(alb.origin?.line).toBe(70);
    const admin = m.endpoints.find((e) => e.port === 9090)!;
    expect(admin.origin).toMatchObject({ kind: 'module-input', name: 'ingress', file: 'main.tf', line: 46 });
    const tasks = m.endpoints.filter((e) => e.resource.includes('aws_ecs_task_definition'));
    const byPort = (p: number) => tasks.find((e) => e.port === p)?.origin;
    expect(byPort(3000)).toMatchObject({ kind: 'local', name: 'container_port', file: 'main.tf', line: 3 });
    expect(byPort(80)).toMatchObject({ kind: 'local', name: 'ports', file: 'modules/app-config/main.tf', line: 8 });
    expect(unresolved(m)).toEqual([
      'module.worker.aws_ecs_task_definition.this[0] container_definitions[0].portMappings[0].containerPort ' +
        '${var.worker_port} modules/service/main.tf:44',
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
    const globex = m.endpoints.find((e) => e.port === 3307)!;
    expect(globex.origin).toMatchObject({ kind: 'variable-default', name: 'tenants', line: 23 });
    expect(unresolved(m)).toEqual([
      'aws_db_instance.analytics port (default by engine) ' +
        '${aws_db_instance.primary.engine == "mysql" ? "mysql" : "postgres"} main.tf:55',
      'aws_db_instance.replica port (inherited through replicate_source_db) ' +
        '${aws_db_instance.primary.identifier} main.tf:43',
      'aws_db_instance.reporting port (default by engine) ${var.engine} main.tf:49',
      'aws_elasticache_cluster.sessions port (default by engine) ${var.engine} main.tf:87',
      'aws_security_group_rule.from_elsewhere from_port ${aws_db_instance.primary.port} main.tf:80',
      'aws_security_group_rule.from_elsewhere to_port ${aws_db_instance.primary.port} main.tf:81',
    ]);
  });
});

describe('registry and git modules', () => {
  it('after terraform init, modules.json leads to the installed directories, nested keys included', async () => {
    const m = await run('registry');
    const rule = 'module.cache.module.endpoint.aws_vpc_security_group_ingress_rule';
    expect(ports(m)).toEqual([
      'module.cache.aws_elasticache_replication_group.this 6380/tcp listen .terraform/modules/cache/main.tf:18',
      `${rule}.simple["redis"] 6380/tcp allow .terraform/modules/cache.endpoint/main.tf:24`,
      `${rule}.this["redis-10.0.0.0/16"] 6380/tcp allow .terraform/modules/cache.endpoint/main.tf:15`,
    ]);
    // The module input written in the root is what `fix` edits, even through two registry modules.
    const origin = { kind: 'module-input', name: 'port', file: 'main.tf', line: 6 };
    expect(m.endpoints.map((e) => e.origin)).toMatchObject([origin, origin, origin]);
    expect(m.unresolved).toEqual([]);
    expect(m.problems.map((p) => `${p.file}:${p.line} ${p.code} ${p.message}`)).toEqual([
      'main.tf:11 PD_IAC_MODULE module.queue: source "git::https://git.example/infra/queue.git?ref=v1" ' +
        'is not in .terraform/modules/modules.json (run `terraform init` again); ' +
        "the module's resources are not extracted",
    ]);
  });

  it('without terraform init, a registry source is a problem naming it', async () => {
    const m = await run('registry-uninit');
    expect(m.problems.map((p) => `${p.file}:${p.line} ${p.code} ${p.message}`)).toEqual([
      'main.tf:2 PD_IAC_MODULE module.cache: source "example-corp/redis/aws" is not a local path and no ' +
        '`.terraform/modules/modules.json` was found (run `terraform init` first); ' +
        "the module's resources are not extracted",
    ]);
  });
});

describe('a modules.json that is not a manifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portdrift-tf-manifest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is a problem naming the file; the registry call is a problem too, the rest is extracted', async () => {
    await mkdir(join(dir, '.terraform', 'modules'), { recursive: true });
    await writeFile(join(dir, '.terraform', 'modules', 'modules.json'), '{"Modules": {}}');
    const main = 'module "db" {\n  source = "acme/db/aws"\n}\nresource "aws_lb_target_group" "a" {\n  port = 80\n}\n';
    await writeFile(join(dir, 'main.tf'), main);
    const m = await extract([dir], options, { cwd: dir });
    expect(m.problems.map((p) => `${p.file}:${p.line} ${p.message}`)).toEqual([
      '.terraform/modules/modules.json:1 is not a Terraform module manifest: "Modules" must be a list',
      'main.tf:2 module.db: source "acme/db/aws" is not a local path and no ' +
        '`.terraform/modules/modules.json` was found ' +
        "(run `terraform init` first); the module's resources are not extracted",
    ]);
    expect(ports(m)).toEqual(['aws_lb_target_group.a 80/tcp listen main.tf:5']);
  });

  it('a registry module called from a local module is found under the nested key (app.db)', async () => {
    const root = join(dir, 'nested');
    await mkdir(join(root, 'app'), { recursive: true });
    await mkdir(join(root, '.terraform', 'modules', 'app.db'), { recursive: true });
    const installed = { Key: 'app.db', Source: 'registry.terraform.io/acme/db/aws', Dir: '.terraform/modules/app.db' };
    const manifest = { Modules: [installed] };
    await writeFile(join(root, '.terraform', 'modules', 'modules.json'), JSON.stringify(manifest));
    await writeFile(join(root, 'main.tf'), 'module "app" {\n  source = "./app"\n}\n');
    await writeFile(join(root, 'app', 'main.tf'), 'module "db" {\n  source = "acme/db/aws"\n  port   = 6543\n}\n');
    const db = ['variable "port" {}', 'resource "aws_db_instance" "this" {', '  engine = "postgres"'];
    db.push('  port   = var.port', '}', '');
    await writeFile(join(root, '.terraform', 'modules', 'app.db', 'main.tf'), db.join('\n'));
    const m = await extract([root], options, { cwd: root });
    const line = 'module.app.module.db.aws_db_instance.this 6543/tcp listen .terraform/modules/app.db/main.tf:4';
    expect(ports(m)).toEqual([line]);
    expect(m.problems).toEqual([]);
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
    expect(ports(m)).toEqual([
      'aws_lb_target_group.a 8002/tcp listen main.tf:18',
      'aws_lb_target_group.b 9001/tcp listen main.tf:21',
    ]);
    expect(unresolved(m)).toEqual([
      'aws_lb_target_group.c port ${module.unknown[0].port} main.tf:24',
      'module.unknown count ${var.n} main.tf:13',
    ]);
  });
});
