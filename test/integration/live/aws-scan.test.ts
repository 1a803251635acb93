// `portdrift scan --live aws` as a real child process of dist/cli/main.js against the AWS wire-
// protocol server of test/aws/server.ts, with an environment built from scratch (aws-child.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { ASSUMED_KEY_ID, type AwsServer } from '../../aws/server.js';
import { shopWorld } from '../../fixtures/live/shop/world.js';
import { KEYS, awsEnv, cli as run, tempHome, withServer } from './aws-child.js';

const shop = join(import.meta.dirname, '..', '..', 'fixtures', 'live', 'shop');
const home = tempHome('pd-aws-home-');
const env = (server: AwsServer | null, extra: Record<string, string> = {}) => awsEnv(home(), server, extra);
const cli = (args: string[], childEnv: Record<string, string>) => run(args, shop, childEnv);

const SCAN = ['scan', '.', '--live', 'aws', '--no-probe'];
const TG_ARN = (name: string): string =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0123456789abcdef`;

describe('scan --live aws --no-probe against the AWS wire-protocol server', () => {
  it('reports exactly the three drifts of the shop, matched by name and tags without state, and exits 2', async () => {
    const world = { ...shopWorld(), throttleOnce: ['DescribeSecurityGroups', 'DescribeDBInstances'] };
    await withServer(world, async (server) => {
      const r = await cli([...SCAN, '--format', 'json'], env(server, KEYS));
      expect(r.err).not.toMatch(/PD_AWS/);
      expect(r.code).toBe(2);
      const report = JSON.parse(r.out) as DriftReport;
      const brief = report.findings.map((f) => ({
        kind: f.kind,
        severity: f.severity,
        resource: f.resource,
        source: f.source,
        port: f.port,
        liveId: f.liveId,
        declared: f.declared,
        configured: f.configured,
        observed: f.observed,
      }));
      const web = 'sg-0web0000000000001';
      expect(brief).toEqual([
        {
          kind: 'config-drift',
          severity: 'high',
          resource: 'aws_db_instance.orders',
          source: { file: 'rds.tf', line: 6 },
          port: 5432,
          liveId: 'shop-orders',
          declared: { port: 5432, protocol: 'tcp' },
          configured: { port: 5433, protocol: 'tcp' },
          observed: null,
        },
        {
          kind: 'unmanaged-rule',
          severity: 'high',
          resource: 'aws_security_group.web',
          source: { file: 'network.tf', line: 3 },
          port: 9200,
          liveId: web,
          declared: null,
          configured: { port: 9200, protocol: 'tcp', sources: ['10.0.0.0/8'] },
          observed: null,
        },
        {
          kind: 'missing-rule',
          severity: 'medium',
          resource: 'aws_security_group.web',
          source: { file: 'network.tf', line: 18 },
          port: 8443,
          liveId: web,
          declared: { port: 8443, protocol: 'tcp' },
          configured: null,
          observed: null,
        },
      ]);
      const [drift, unmanaged, missing] = report.findings;
      expect(drift!.host).toBe('shop-orders.c9akciq32.eu-west-1.rds.amazonaws.com');
      expect(drift!.message).toBe(
        'aws_db_instance.orders declares port 5432 but AWS has DB instance shop-orders (eu-west-1) configured on 5433',
      );
      expect(drift!.suggestion).toContain('update the IaC: rds.tf:6 port 5432 → 5433');
      expect(drift!.suggestion).toContain(
        'aws rds modify-db-instance --region eu-west-1 --db-instance-identifier shop-orders --db-port-number 5432',
      );
      expect(unmanaged!.message).toBe(
        `security group shop-web (${web}) allows tcp 9200 from 10.0.0.0/8 but no IaC declares that ingress rule`,
      );
      expect(unmanaged!.suggestion).toContain(
        `aws ec2 revoke-security-group-ingress --region eu-west-1 --group-id ${web} --protocol tcp --port 9200 ` +
          '--cidr 10.0.0.0/8',
      );
      expect(missing!.suggestion).toContain('network.tf:18');

      const live = report.summary.live!;
      expect(live.regions).toEqual(['eu-west-1']);
      expect(live.read).toEqual({ 'security-group': 3, instance: 2, 'db-instance': 2, 'target-group': 2 });
      expect(live.matched.map((m) => `${m.resource}=${m.liveId} by ${m.by}`).sort()).toEqual([
        'aws_db_instance.orders=shop-orders by identifier',
        'aws_instance.web=i-0web000000000001 by tags.Name',
        `aws_lb_target_group.web=${TG_ARN('shop-web')} by name`,
        'aws_security_group.db=sg-0db00000000000002 by name',
        `aws_security_group.web=${web} by name`,
      ]);
      expect(live.unmatchedResources).toEqual([]);
      const unmanagedIds = live.unmanaged.map((u) => u.liveId).sort();
      expect(unmanagedIds).toEqual(['analytics', TG_ARN('legacy-api'), 'i-0bastion00000002', 'sg-0default000000003']);
      expect(live.problems).toEqual([]);

      // The wire: every request signed (SigV4, the service in the scope), every list paginated,
      // the throttled first calls retried.
      const q = server.requests;
      expect(q.every((x) => x.accessKeyId === KEYS.AWS_ACCESS_KEY_ID && x.region === 'eu-west-1')).toBe(true);
      expect(Object.fromEntries(q.map((x) => [x.action, x.service]))).toEqual({
        DescribeSecurityGroups: 'ec2',
        DescribeInstances: 'ec2',
        DescribeDBInstances: 'rds',
        DescribeTargetGroups: 'elasticloadbalancing',
        DescribeCacheClusters: 'elasticache',
        DescribeReplicationGroups: 'elasticache',
        ListClusters: 'ecs',
      });
      expect(q.filter((x) => x.action === 'DescribeSecurityGroups' && x.params.NextToken).length).toBe(2);
      expect(q.filter((x) => x.action === 'DescribeInstances' && x.params.NextToken).length).toBe(1);
      expect(q.filter((x) => x.action === 'DescribeDBInstances' && x.params.Marker).length).toBe(1);
      expect(q.filter((x) => x.action === 'DescribeTargetGroups' && x.params.Marker).length).toBe(1);
      expect(q.filter((x) => x.status === 503).map((x) => x.action)).toEqual(['DescribeSecurityGroups']);
      expect(q.filter((x) => x.status === 400).map((x) => x.action)).toEqual(['DescribeDBInstances']);
    });
  });

  it('without credentials: exit 1, PD_AWS_AUTH naming where the chain looked, nothing sent', async () => {
    await withServer(shopWorld(), async (server) => {
      const r = await cli([...SCAN, '--format', 'json'], env(server));
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/PD_AWS_AUTH/);
      expect(r.err).toContain('AWS_ACCESS_KEY_ID');
      expect(r.err).toContain('~/.aws/credentials');
      expect(server.requests).toEqual([]);
    });
  });

  it('keys that AWS rejects (expired, unknown): exit 1, PD_AWS_AUTH, no report', async () => {
    await withServer({ ...shopWorld(), rejectKeys: [KEYS.AWS_ACCESS_KEY_ID] }, async (server) => {
      const r = await cli([...SCAN, '--format', 'json'], env(server, KEYS));
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/AWS rejected the credentials \((AuthFailure|ExpiredToken)\)/);
      expect(r.err).toContain('PD_AWS_AUTH');
      expect(server.requests.length).toBeGreaterThan(0);
    });
  });

  it('a denied operation is a problem naming the IAM action; everything else is still read', async () => {
    await withServer({ ...shopWorld(), deny: ['DescribeInstances'] }, async (server) => {
      const r = await cli([...SCAN, '--format', 'json'], env(server, KEYS));
      expect(r.code).toBe(2);
      expect(r.err).toContain('eu-west-1 ec2:DescribeInstances');
      const report = JSON.parse(r.out) as DriftReport;
      expect(report.findings.map((f) => f.kind)).toEqual(['config-drift', 'unmanaged-rule', 'missing-rule']);
      expect(report.summary.live!.problems).toEqual([
        {
          region: 'eu-west-1',
          operation: 'ec2:DescribeInstances',
          code: 'PD_AWS_ACCESS_DENIED',
          message: expect.stringContaining('grant the IAM action ec2:DescribeInstances'),
        },
      ]);
      expect(report.summary.live!.unmatchedResources).toEqual(['aws_instance.web']);
    });
  });

  it('every read denied: exit 1 with the IAM actions, not an empty report', async () => {
    const deny = [
      'DescribeSecurityGroups',
      'DescribeInstances',
      'DescribeDBInstances',
      'DescribeTargetGroups',
      'DescribeCacheClusters',
      'DescribeReplicationGroups',
      'ListClusters',
    ];
    await withServer({ ...shopWorld(), deny }, async (server) => {
      const r = await cli([...SCAN, '--format', 'json'], env(server, KEYS));
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toContain('no AWS read succeeded');
      expect(r.err).toContain('grant the IAM action rds:DescribeDBInstances');
      expect(r.err).toContain('PD_AWS_ACCESS_DENIED');
    });
  });

  it('--fail-on a live kind, and the table names what matched nothing', async () => {
    await withServer(shopWorld(), async (server) => {
      const unknown = await cli([...SCAN, '--fail-on', 'no-such-kind'], env(server, KEYS));
      expect(unknown.code).toBe(1); // not a kind: a usage error
      // stale-rule is judged only with probing: with --no-probe there is none, so exit 0.
      const stale = await cli([...SCAN, '--fail-on', 'stale-rule'], env(server, KEYS));
      expect(stale.code).toBe(0);
      const r = await cli([...SCAN, '--format', 'table', '--fail-on', 'missing-rule'], env(server, KEYS));
      expect(r.code).toBe(2);
      expect(r.out).toContain('config-drift');
      expect(r.out).toContain('Not in the IaC (live objects that no resource matches): ');
      expect(r.out).toContain('i-0bastion00000002 (bastion)');
    });
  });

  it('--aws-role-arn: AssumeRole with the keys found, then every read signed with the temporary keys', async () => {
    await withServer(shopWorld(), async (server) => {
      const role = 'arn:aws:iam::123456789012:role/portdrift-read';
      const r = await cli([...SCAN, '--format', 'json', '--aws-role-arn', role], env(server, KEYS));
      expect(r.code).toBe(2);
      const [assume, ...reads] = server.requests;
      expect(assume).toMatchObject({ action: 'AssumeRole', service: 'sts', accessKeyId: KEYS.AWS_ACCESS_KEY_ID });
      expect(assume!.params).toMatchObject({ RoleArn: role, RoleSessionName: 'portdrift' });
      expect(reads.length).toBeGreaterThan(4);
      // One AssumeRole for the whole run, shared by the three clients.
      expect(reads.every((q) => q.accessKeyId === ASSUMED_KEY_ID)).toBe(true);
    });
  });

  it('several regions: each read in its own region, objects of all of them matched', async () => {
    const other = { ...shopWorld(), securityGroups: [], instances: [], targetGroups: [] };
    const analytics = other.dbInstances.filter((d) => d.identifier === 'analytics');
    const main = shopWorld();
    const world = {
      ...main,
      dbInstances: main.dbInstances.filter((d) => d.identifier !== 'analytics'),
      region: 'eu-west-1',
      regions: { 'us-east-1': { ...other, dbInstances: analytics } },
    };
    await withServer(world, async (server) => {
      const args = [...SCAN, '--format', 'json', '--aws-region', 'eu-west-1', '--aws-region', 'us-east-1'];
      const r = await cli(args, env(server, KEYS));
      expect(r.code).toBe(2);
      const report = JSON.parse(r.out) as DriftReport;
      expect(report.findings.map((f) => f.kind)).toEqual(['config-drift', 'unmanaged-rule', 'missing-rule']);
      const live = report.summary.live!;
      expect(live.regions).toEqual(['eu-west-1', 'us-east-1']);
      expect(live.unmanaged.find((u) => u.liveId === 'analytics')).toMatchObject({ region: 'us-east-1' });
      expect(new Set(server.requests.map((q) => q.region))).toEqual(new Set(['eu-west-1', 'us-east-1']));
    });
  });

  it('bad arguments are usage errors before anything is read', async () => {
    await withServer(shopWorld(), async (server) => {
      const region = await cli([...SCAN, '--aws-region', 'eu-west-7'], env(server, KEYS));
      expect(region.code).toBe(1);
      expect(region.err).toContain('--aws-region eu-west-7: not an AWS region');
      expect(region.err).toContain('PD_USAGE');
      const noLive = await cli(['scan', '.', '--no-probe'], env(server, KEYS));
      expect(noLive.code).toBe(1);
      expect(noLive.err).toContain('--no-probe only applies with --live aws');
      expect(server.requests).toEqual([]);
    });
  });
});
