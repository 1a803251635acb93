// `portdrift scan` inside the lab with its DEFAULT discovery set (common ports + ±10 around each
// declared port): on a shared machine's loopback other programs' listeners would enter the
// result, in a fresh namespace nothing does, so the findings are exact. Terraform IaC and a
// targets file place the resources on lab addresses:
//   10.231.0.1  aws_db_instance.orders  declares 5432, listens on 5433       → moved 5432 → 5433
//   10.231.0.2  aws_ecs_task_definition.api declares 8080 (open), 22 open    → undeclared 22 (high)
//   10.231.0.3  aws_ecs_task_definition.worker declares 9000, DROPped        → unreachable (filtered)
//   10.231.0.4  aws_ecs_task_definition.batch declares 7000, nothing near it → missing
//   10.231.200.1 aws_elasticache_cluster.cache declares 6379, no route       → unreachable (unreachable)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport, Finding } from '../../../shared/types.js';
import { createLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { cli, requireBuild } from './cli.js';

const skip = labSkipReason();

const ecs = (name: string, port: number) =>
  `resource "aws_ecs_task_definition" "${name}" {\n  family = "${name}"\n  container_definitions = jsonencode([\n ` +
  `   {\n      name         = "${name}"\n      portMappings = [{ containerPort = ${port} }]\n    }\n  ])\n}\n`;

describe.skipIf(skip)(`portdrift scan in network namespaces${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  beforeAll(async () => {
    requireBuild();
    lab = await createLab({ hosts: 4 });
    const [dead] = lab.unreachable(1);
    dir = mkdtempSync(join(tmpdir(), 'pdl-scan-'));
    writeFileSync(
      join(dir, 'rds.tf'),
      'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port   = 5432\n}\n',
    );
    writeFileSync(
      join(dir, 'cache.tf'),
      'resource "aws_elasticache_cluster" "cache" {\n  engine = "redis"\n  port   = 6379\n}\n',
    );
    writeFileSync(join(dir, 'ecs.tf'), [ecs('api', 8080), ecs('worker', 9000), ecs('batch', 7000)].join('\n'));
    writeFileSync(
      join(dir, 'targets.yaml'),
      [
        'targets:',
        '  - { resource: aws_db_instance.orders, hosts: [10.231.0.1] }',
        '  - { resource: aws_ecs_task_definition.api, hosts: [10.231.0.2] }',
        '  - { resource: aws_ecs_task_definition.worker, hosts: [10.231.0.3] }',
        '  - { resource: aws_ecs_task_definition.batch, hosts: [10.231.0.4] }',
        `  - { resource: aws_elasticache_cluster.cache, hosts: [${dead}] }`,
        '',
      ].join('\n'),
    );
    await lab.listen(['10.231.0.1:5433', '10.231.0.2:8080', '10.231.0.2:22', '10.231.0.3:9000']);
    lab.drop(9000, 9000, { ip: '10.231.0.3' });
  });
  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds exactly the moved, undeclared, unreachable and missing ports, and exits 2', async () => {
    const r = await cli(lab, ['scan', dir, '--targets', join(dir, 'targets.yaml'), '--format', 'json']);
    expect(r.code, r.stderr).toBe(2);
    const report = JSON.parse(r.stdout) as DriftReport;
    const brief = (f: Finding) => [f.kind, f.resource, f.host, f.port, f.observedPort ?? null, f.state, f.severity];
    expect(report.findings.map(brief).sort()).toEqual(
      [
        ['missing', 'aws_ecs_task_definition.batch', '10.231.0.4', 7000, null, 'closed', 'high'],
        ['moved', 'aws_db_instance.orders', '10.231.0.1', 5432, 5433, 'closed', 'high'],
        ['undeclared', 'aws_ecs_task_definition.api', '10.231.0.2', 22, null, 'open', 'high'],
        ['unreachable', 'aws_ecs_task_definition.worker', '10.231.0.3', 9000, null, 'filtered', 'medium'],
        ['unreachable', 'aws_elasticache_cluster.cache', '10.231.200.1', 6379, null, 'unreachable', 'medium'],
      ].sort(),
    );
    const moved = report.findings.find((f) => f.kind === 'moved')!;
    expect(moved.source).toEqual({ file: 'rds.tf', line: 3 });
    expect(moved.suggestion).toMatch(/rds\.tf:3/);
  });

  it('--fail-on a kind that is not found exits 0 and still prints every finding', async () => {
    const r = await cli(lab, [
      'scan',
      dir,
      '--targets',
      join(dir, 'targets.yaml'),
      '--format',
      'json',
      '--fail-on',
      'unobserved',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as DriftReport).findings).toHaveLength(5);
  });
});
