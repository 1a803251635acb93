// The configured model from AWS: what the cloud API says is set now. For every region, seven
// paginated reads (security groups and instances from EC2, DB instances from RDS, target groups
// from ELBv2, cache clusters and replication groups from ElastiCache, services with their running
// tasks and task definitions from ECS) run with bounded concurrency across services and regions, each client with the
// SDK's adaptive retry mode (throttling is retried and slows the client down, never a crash).
// The SDK's own endpoint override (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) applies as
// everywhere else in the SDK.
import pLimit from 'p-limit';
import { PortdriftError } from '../../errors.js';
import type { ConfiguredModel, LiveObject } from '../../types.js';
import { resolveCredentials } from './credentials.js';
import { ecsClient, readEcs } from './ecs.js';
import { ec2Client, readInstances, readSecurityGroups } from './ec2.js';
import { elasticacheClient, readCacheClusters, readReplicationGroups } from './elasticache.js';
import { elbv2Client, readTargetGroups } from './elbv2.js';
import type { LiveProblem } from './errors.js';
import { rdsClient, readDbInstances } from './rds.js';
import { checkRegions } from './regions.js';

export { checkRegions };

export interface AwsReadOptions {
  /** Regions to read; none: the SDK's default region (AWS_REGION, the profile's `region`). */
  regions: string[];
  profile?: string;
  roleArn?: string;
  /** Reads in flight at once across services and regions (default 4). */
  concurrency?: number;
  /** Attempts per call, the first included (default 5). */
  maxAttempts?: number;
}

/** Every API operation the readers call, as IAM actions (deploy/aws/portdrift-readonly.json grants them). */
export const AWS_ACTIONS = [
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeInstances',
  'rds:DescribeDBInstances',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticache:DescribeCacheClusters',
  'elasticache:DescribeReplicationGroups',
  'ecs:ListClusters',
  'ecs:ListServices',
  'ecs:DescribeServices',
  'ecs:ListTasks',
  'ecs:DescribeTasks',
  'ecs:DescribeTaskDefinition',
  // --live-audit only.
  'cloudtrail:LookupEvents',
] as const;

async function defaultRegion(profile: string | undefined): Promise<string> {
  const probe = ec2Client(profile !== undefined ? { profile } : {});
  try {
    return await probe.config.region();
  } catch {
    const where = `the ${profile ?? 'default'} profile of ~/.aws/config`;
    const message = `--live aws: no region: pass --aws-region, set AWS_REGION, or set region in ${where}`;
    throw new PortdriftError('PD_USAGE', message);
  } finally {
    probe.destroy();
  }
}

export async function readAws(o: AwsReadOptions): Promise<ConfiguredModel> {
  checkRegions(o.regions);
  const regions = o.regions.length > 0 ? [...new Set(o.regions)] : [await defaultRegion(o.profile)];
  checkRegions(regions);
  const profile = o.profile !== undefined ? { profile: o.profile } : {};
  const role = o.roleArn ? { roleArn: o.roleArn } : {};
  const credentials = await resolveCredentials({ region: regions[0]!, ...profile, ...role });
  const limit = pLimit(o.concurrency ?? 4);
  const problems: LiveProblem[] = [];
  const clients: { destroy(): void }[] = [];
  try {
    const tasks: Promise<LiveObject[]>[] = [];
    for (const region of regions) {
      const config = { region, credentials, retryMode: 'adaptive', maxAttempts: o.maxAttempts ?? 5, ...profile };
      const ec2 = ec2Client(config);
      const rds = rdsClient(config);
      const elbv2 = elbv2Client(config);
      const elasticache = elasticacheClient(config);
      const ecs = ecsClient(config);
      clients.push(ec2, rds, elbv2, elasticache, ecs);
      tasks.push(
        limit(() => readSecurityGroups(ec2, region, problems)),
        limit(() => readInstances(ec2, region, problems)),
        limit(() => readDbInstances(rds, region, problems)),
        limit(() => readTargetGroups(elbv2, region, problems)),
        limit(() => readCacheClusters(elasticache, region, problems)),
        limit(() => readReplicationGroups(elasticache, region, problems)),
        limit(() => readEcs(ecs, region, problems)),
      );
    }
    const objects = (await Promise.all(tasks)).flat();
    problems.sort((a, b) => (a.region + a.operation < b.region + b.operation ? -1 : 1));
    // Nothing read at all must not pass as "no drift": that is an error, not a report.
    if (problems.length === tasks.length) {
      const code = problems.every((p) => p.code === 'PD_AWS_ACCESS_DENIED') ? 'PD_AWS_ACCESS_DENIED' : 'PD_AWS_API';
      const why = problems.map((p) => `${p.region} ${p.message}`).join('; ');
      throw new PortdriftError(code, `no AWS read succeeded: ${why}`, { details: { problems } });
    }
    return { provider: 'aws', regions, objects, problems };
  } finally {
    for (const c of clients) c.destroy();
  }
}

// `--live-audit` lives in audit.ts, which loads the CloudTrail client alone; re-exported here.
export { AUDITED_KINDS, type Change, auditAws } from './audit.js';
