// `portdrift scan --live aws` reading ElastiCache (Query, `Marker`) and ECS (JSON 1.1, `nextToken`)
// from the AWS wire-protocol server of test/aws/server.ts, as a real child process of
// dist/cli/main.js with static keys: the fixture test/fixtures/live/cache-ecs drifted on the
// sessions group's port, the API's task definition and its service's load balancer port.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import type { AwsServer } from '../../aws/server.js';
import { cacheEcsWorld } from '../../fixtures/live/cache-ecs/world.js';
import { KEYS, awsEnv, cli as run, tempHome, withServer } from './aws-child.js';

const fixture = join(import.meta.dirname, '..', '..', 'fixtures', 'live', 'cache-ecs');
const home = tempHome('pd-aws-home-');
const env = (server: AwsServer) => awsEnv(home(), server, KEYS);
const cli = (args: string[], childEnv: Record<string, string>) => run(args, fixture, childEnv);

const SCAN = ['scan', '.', '--live', 'aws', '--no-probe', '--format', 'json'];
const ECS = 'arn:aws:ecs:eu-west-1:123456789012';

describe('scan --live aws: ElastiCache and ECS', () => {
  it('reports the port drift of a replication group, a task definition and a service, and what matched', async () => {
    const world = { ...cacheEcsWorld(), throttleOnce: ['DescribeReplicationGroups', 'ListServices'] };
    await withServer(world, async (server) => {
      const r = await cli(SCAN, env(server));
      expect(r.err).not.toMatch(/PD_AWS/);
      expect(r.code).toBe(2);
      const report = JSON.parse(r.out) as DriftReport;
      const brief = report.findings.map((f) => ({
        kind: f.kind,
        resource: f.resource,
        source: f.source,
        host: f.host,
        port: f.port,
        liveId: f.liveId,
        declared: f.declared,
        configured: f.configured,
      }));
      expect(brief).toEqual([
        {
          kind: 'config-drift',
          resource: 'aws_ecs_service.api',
          source: { file: 'ecs.tf', line: 30 },
          host: '127.0.0.31',
          port: 8080,
          liveId: `${ECS}:service/shop/shop-api`,
          declared: { port: 8080, protocol: 'tcp' },
          configured: { port: 8081, protocol: 'tcp' },
        },
        {
          kind: 'config-drift',
          resource: 'aws_ecs_task_definition.api',
          source: { file: 'ecs.tf', line: 14 },
          host: `${ECS}:task-definition/shop-api:7`,
          port: 8080,
          liveId: `${ECS}:task-definition/shop-api:7`,
          declared: { port: 8080, protocol: 'tcp' },
          configured: { port: 8081, protocol: 'tcp' },
        },
        {
          kind: 'config-drift',
          resource: 'aws_elasticache_replication_group.sessions',
          source: { file: 'cache.tf', line: 8 },
          host: '127.0.0.24',
          port: 6379,
          liveId: 'shop-sessions',
          declared: { port: 6379, protocol: 'tcp' },
          configured: { port: 6380, protocol: 'tcp' },
        },
      ]);
      const [service, taskDef, sessions] = report.findings;
      expect(sessions!.message).toBe(
        'aws_elasticache_replication_group.sessions declares port 6379 but AWS has ElastiCache replication group ' +
          'shop-sessions (eu-west-1) configured on 6380',
      );
      expect(sessions!.suggestion).toContain('update the IaC: cache.tf:8 port 6379 → 6380');
      expect(taskDef!.message).toBe(
        'aws_ecs_task_definition.api declares container port 8080 but AWS has ECS task definition shop-api ' +
          '(eu-west-1, shop-api:7) mapping 8081',
      );
      expect(service!.message).toContain('AWS has ECS service shop-api (eu-west-1) configured on 8081');

      const live = report.summary.live!;
      expect(live.read).toEqual({ 'cache-cluster': 2, 'replication-group': 1, 'ecs-service': 2, 'task-definition': 2 });
      expect(live.matched.map((m) => `${m.resource}=${m.liveId} by ${m.by}`).sort()).toEqual([
        `aws_ecs_service.api=${ECS}:service/shop/shop-api by name`,
        `aws_ecs_task_definition.api=${ECS}:task-definition/shop-api:7 by name`,
        'aws_elasticache_cluster.fragments=shop-fragments by name',
        'aws_elasticache_replication_group.sessions=shop-sessions by name',
      ]);
      expect(live.unmanaged.map((u) => `${u.kind} ${u.name}`).sort()).toEqual([
        'cache-cluster reporting',
        'ecs-service worker',
        'task-definition worker',
      ]);
      expect(live.problems).toEqual([]);

      // The wire: ElastiCache Query with Marker, ECS JSON 1.1 with nextToken, both signed for
      // their service; every list paginated at one item a page; the throttled calls retried.
      const q = server.requests;
      const signedFor = (action: string): string | null | undefined => q.find((x) => x.action === action)?.service;
      expect(signedFor('DescribeCacheClusters')).toBe('elasticache');
      expect(signedFor('ListServices')).toBe('ecs');
      expect(q.find((x) => x.action === 'DescribeCacheClusters')!.params.ShowCacheNodeInfo).toBe('true');
      expect(q.filter((x) => x.action === 'DescribeCacheClusters' && x.params.Marker).length).toBe(2);
      expect(q.filter((x) => x.action === 'ListClusters' && x.params.nextToken).length).toBe(1);
      expect(q.filter((x) => x.action === 'ListTasks' && x.params.nextToken).length).toBe(2);
      expect(q.filter((x) => x.action === 'DescribeTaskDefinition').length).toBe(2);
      expect(
        q
          .filter((x) => x.status === 400)
          .map((x) => x.action)
          .sort(),
      ).toEqual(['DescribeReplicationGroups', 'ListServices']);
    });
  });

  it('a denied ECS call is one problem naming it; ElastiCache is still compared', async () => {
    await withServer({ ...cacheEcsWorld(), deny: ['DescribeTasks'] }, async (server) => {
      const r = await cli(SCAN, env(server));
      expect(r.code).toBe(2);
      const report = JSON.parse(r.out) as DriftReport;
      expect(report.findings.map((f) => f.resource)).toEqual(['aws_elasticache_replication_group.sessions']);
      expect(report.summary.live!.problems).toEqual([
        {
          region: 'eu-west-1',
          operation: 'ecs:DescribeTasks',
          code: 'PD_AWS_ACCESS_DENIED',
          message: expect.stringContaining('grant the IAM action ecs:DescribeTasks'),
        },
      ]);
      const unmatched = report.summary.live!.unmatchedResources.sort();
      expect(unmatched).toEqual(['aws_ecs_service.api', 'aws_ecs_task_definition.api']);
    });
  });
});
