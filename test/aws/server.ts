// A real HTTP server on 127.0.0.1 that speaks the AWS wire protocols the live readers use, as the
// AWS API reference documents them, so the product's own SDK clients run unchanged against it
// (AWS_ENDPOINT_URL=http://127.0.0.1:PORT): nothing of the SDK is stubbed.
//
// - EC2 Query protocol (API version 2016-11-15): form body `Action=DescribeSecurityGroups&
//   Version=2016-11-15&…`, XML `<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/
//   doc/2016-11-15/"><requestId/><securityGroupInfo><item>…` with `nextToken`; errors as
//   `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
// - RDS Query (2014-10-31): `<DescribeDBInstancesResponse><DescribeDBInstancesResult><Marker/>
//   <DBInstances><DBInstance>…`; errors as `<ErrorResponse><Error><Type/><Code/><Message/>`.
// - ELBv2 Query (2015-12-01): `<DescribeTargetGroupsResponse><DescribeTargetGroupsResult>
//   <NextMarker/><TargetGroups><member>…`.
//
// - ElastiCache Query (2015-02-02): `<DescribeCacheClustersResponse><DescribeCacheClustersResult>
//   <Marker/><CacheClusters><CacheCluster>…<CacheNodes><CacheNode><Endpoint>` and
//   `<ReplicationGroups><ReplicationGroup>…<NodeGroups><NodeGroup><PrimaryEndpoint>`.
// - ECS JSON 1.1: `POST /` with `X-Amz-Target: AmazonEC2ContainerServiceV20141113.ListServices`
//   and `application/x-amz-json-1.1` bodies (`nextToken` / `maxResults`); errors as
//   `{"__type": "AccessDeniedException", "message": …}` with `x-amzn-errortype`.
//
// Every request must carry a SigV4 `Authorization` header (its presence and shape are checked,
// not the signature). Pages are `pageSize` items long whatever MaxResults asks, so pagination
// always runs. `throttleOnce` answers the first call of an action with the service's throttling
// error; `deny` answers every call of an action with AccessDenied (UnauthorizedOperation on EC2);
// `rejectKeys` answers as AWS answers expired or unknown keys (AuthFailure, ExpiredToken). STS
// AssumeRole (Query 2011-06-15) hands out temporary keys, so `--aws-role-arn` runs end to end.
// - CloudTrail JSON 1.1: `X-Amz-Target: CloudTrail_20131101.LookupEvents` (as the SDK sends it; the
//   API reference's long form `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.…` too),
//   one `LookupAttributes` entry (ResourceName, EventName, …), `MaxResults` at most 50
//   and `NextToken`; `Events` newest first, each with `EventTime` in epoch seconds and the whole
//   record as a JSON string in `CloudTrailEvent` (`userIdentity.arn`, `requestParameters`).
// - Writes (`fix --environment --apply`) change the world, so the next describe answers the new
//   state: RevokeSecurityGroupIngress / AuthorizeSecurityGroupIngress (EC2 Query, `IpPermissions.N.
//   IpProtocol|FromPort|ToPort|IpRanges.M.CidrIp|Ipv6Ranges.M.CidrIpv6|Groups.M.GroupId|PrefixListIds.M.
//   PrefixListId`; InvalidPermission.NotFound / InvalidPermission.Duplicate as EC2 answers them) and
//   ModifyDBInstance (RDS Query, `DBPortNumber`; DBInstanceNotFound). Each write is also added to
//   CloudTrail's events, by `arn:aws:iam::123456789012:user/portdrift`.
// - S3 REST, path-style (`GET /BUCKET/KEY` = GetObject, `GET /BUCKET?list-type=2&prefix=…` =
//   ListObjectsV2 with `continuation-token`), errors as `<Error><Code/><Message/></Error>`
//   (NoSuchBucket, NoSuchKey 404): the objects of `world.s3`, for `--state s3://…`.
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Rule {
  protocol: string;
  from?: number;
  to?: number;
  cidrs?: string[];
  groups?: string[];
  prefixLists?: string[];
}
export interface SecurityGroup {
  id: string;
  name: string;
  vpcId?: string;
  description?: string;
  tags?: Record<string, string>;
  ingress: Rule[];
}
export interface Instance {
  id: string;
  privateIp: string;
  groups: { id: string; name: string }[];
  tags?: Record<string, string>;
}
export interface DbInstance {
  identifier: string;
  engine: string;
  address: string;
  port: number;
  tags?: Record<string, string>;
  securityGroups?: string[];
}
export interface TargetGroup {
  name: string;
  port: number;
  protocol: string;
  vpcId?: string;
}

/** An ElastiCache cluster: Redis / Valkey (one endpoint per node) or Memcached (a configuration endpoint too). */
export interface CacheClusterDef {
  id: string;
  engine: string;
  port: number;
  /** Node endpoint addresses. */
  nodes: string[];
  configurationEndpoint?: string;
  replicationGroupId?: string;
  securityGroups?: string[];
}
export interface ReplicationGroupDef {
  id: string;
  engine?: string;
  port: number;
  primaryEndpoint: string;
  readerEndpoint?: string;
  /** Cluster mode on: the configuration endpoint instead of a primary. */
  configurationEndpoint?: string;
  memberClusters?: string[];
}
export interface EcsTaskDefinitionDef {
  family: string;
  revision: number;
  containers: { name: string; ports: number[] }[];
}
export interface EcsServiceDef {
  name: string;
  /** `family:revision` of a task definition in `ecsTaskDefinitions`. */
  taskDefinition: string;
  /** The load balancer's container port, when the service has one. */
  containerPort?: number;
  securityGroups?: string[];
  /** Running tasks' ENI private IPs. */
  tasks: string[];
}
export interface EcsClusterDef {
  name: string;
  services: EcsServiceDef[];
}

/** One CloudTrail management event (a write, unless `readOnly`) naming `resources`. */
export interface TrailEvent {
  name: string;
  source: string;
  /** ISO time. */
  time: string;
  /** The caller's ARN (`userIdentity.arn`); the user name is its last path segment. */
  user: string;
  resources: string[];
  readOnly?: boolean;
  requestParameters?: Record<string, unknown>;
}

export interface Objects {
  /** CloudTrail's management events of the region (any order: LookupEvents answers newest first). */
  events?: TrailEvent[];
  securityGroups: SecurityGroup[];
  instances: Instance[];
  dbInstances: DbInstance[];
  targetGroups: TargetGroup[];
  cacheClusters?: CacheClusterDef[];
  replicationGroups?: ReplicationGroupDef[];
  ecsClusters?: EcsClusterDef[];
  ecsTaskDefinitions?: EcsTaskDefinitionDef[];
}
const EMPTY: Objects = { securityGroups: [], instances: [], dbInstances: [], targetGroups: [] };

export interface AwsWorld extends Objects {
  /** The region of the objects above (from the SigV4 scope); absent: they answer in every region. */
  region?: string;
  /** Other regions' objects; a region named nowhere is empty. */
  regions?: Record<string, Objects>;
  /** Items per page (default 2). */
  pageSize?: number;
  throttleOnce?: string[];
  deny?: string[];
  /** Answer every request signed with these access keys as AWS answers expired or unknown keys. */
  rejectKeys?: string[];
  /** S3 buckets: key → object body. */
  s3?: Record<string, Record<string, string>>;
  /** A bucket's region; a request signed for another answers 301 PermanentRedirect + x-amz-bucket-region. */
  s3Regions?: Record<string, string>;
}

export interface SeenRequest {
  action: string;
  /** From the SigV4 credential scope: `ec2`, `rds`, `elasticloadbalancing`. */
  service: string | null;
  region: string | null;
  accessKeyId: string | null;
  params: Record<string, string>;
  status: number;
}

export interface AwsServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const RDS_NS = 'http://rds.amazonaws.com/doc/2014-10-31/';
const ELB_NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

const EC_NS = 'http://elasticache.amazonaws.com/doc/2015-02-02/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const SERVICE_OF: Record<string, 'ec2' | 'rds' | 'elbv2' | 'elasticache' | 'sts'> = {
  DescribeSecurityGroups: 'ec2',
  DescribeInstances: 'ec2',
  DescribeDBInstances: 'rds',
  RevokeSecurityGroupIngress: 'ec2',
  AuthorizeSecurityGroupIngress: 'ec2',
  ModifyDBInstance: 'rds',
  DescribeTargetGroups: 'elbv2',
  DescribeCacheClusters: 'elasticache',
  DescribeReplicationGroups: 'elasticache',
  AssumeRole: 'sts',
};
const VERSION_OF = {
  ec2: '2016-11-15',
  rds: '2014-10-31',
  elbv2: '2015-12-01',
  elasticache: '2015-02-02',
  sts: '2011-06-15',
} as const;
const NS_OF = { ec2: EC2_NS, rds: RDS_NS, elbv2: ELB_NS, elasticache: EC_NS, sts: STS_NS } as const;
const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113.';
const ECS_ACTIONS = new Set([
  'ListClusters',
  'ListServices',
  'DescribeServices',
  'ListTasks',
  'DescribeTasks',
  'DescribeTaskDefinition',
]);

const TRAIL_TARGET = /^(com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\./;
const TRAIL_KEYS = new Set([
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
]);

/** LookupEvents (CloudTrail API reference): one attribute, newest first, at most MaxResults (≤ 50) a page. */
function lookupEvents(
  input: Record<string, unknown>,
  here: Objects,
  region: string,
  size: number,
): Record<string, unknown> | [number, string, string] {
  const attrs = Array.isArray(input.LookupAttributes) ? (input.LookupAttributes as Record<string, unknown>[]) : [];
  if (attrs.length > 1) {
    return [400, 'InvalidLookupAttributesException', 'You cannot specify more than one lookup attribute.'];
  }
  const attr = attrs[0];
  if (attr && !TRAIL_KEYS.has(String(attr.AttributeKey))) {
    return [400, 'InvalidLookupAttributesException', `Invalid attribute key ${String(attr.AttributeKey)}`];
  }
  const max = input.MaxResults === undefined ? 50 : Number(input.MaxResults);
  if (!(max >= 1 && max <= 50)) return [400, 'InvalidMaxResultsException', 'MaxResults must be between 1 and 50.'];
  const start = typeof input.StartTime === 'number' ? input.StartTime * 1000 : -Infinity;
  const end = typeof input.EndTime === 'number' ? input.EndTime * 1000 : Infinity;
  const userName = (e: TrailEvent): string => e.user.split('/').pop() ?? e.user;
  const eventId = (e: TrailEvent): string => `${e.name}-${Date.parse(e.time)}-${e.resources.join(',')}`;
  const matches = (e: TrailEvent): boolean => {
    if (!attr) return true;
    const v = String(attr.AttributeValue);
    switch (attr.AttributeKey) {
      case 'ResourceName':
        return e.resources.includes(v);
      case 'EventName':
        return e.name === v;
      case 'ReadOnly':
        return String(e.readOnly ?? false) === v;
      case 'Username':
        return userName(e) === v;
      case 'EventSource':
        return e.source === v;
      default:
        return eventId(e) === v;
    }
  };
  const events = (here.events ?? [])
    .filter((e) => matches(e) && Date.parse(e.time) >= start && Date.parse(e.time) <= end)
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  const token = typeof input.NextToken === 'string' ? input.NextToken : undefined;
  const p = page(events, token, Math.min(size, max));
  return {
    Events: p.items.map((e) => ({
      EventId: eventId(e),
      EventName: e.name,
      ReadOnly: String(e.readOnly ?? false),
      AccessKeyId: 'ASIAEXAMPLECONSOLE01',
      EventTime: Date.parse(e.time) / 1000,
      EventSource: e.source,
      Username: userName(e),
      Resources: e.resources.map((r) => ({
        ResourceType: r.startsWith('sg-') ? 'AWS::EC2::SecurityGroup' : null,
        ResourceName: r,
      })),
      CloudTrailEvent: JSON.stringify({
        eventVersion: '1.09',
        userIdentity: { type: 'AssumedRole', arn: e.user, accountId: ACCOUNT },
        eventTime: e.time,
        eventSource: e.source,
        eventName: e.name,
        awsRegion: region,
        sourceIPAddress: 'AWS Internal',
        requestParameters: e.requestParameters ?? null,
        responseElements: null,
        readOnly: e.readOnly ?? false,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: ACCOUNT,
      }),
    })),
    ...(p.next ? { NextToken: p.next } : {}),
  };
}

/** The temporary keys AssumeRole hands out (STS Query 2011-06-15), valid for an hour. */
export const ASSUMED_KEY_ID = 'ASIAPORTDRIFTTEST001';

function assumeRole(params: Record<string, string>): string {
  const expiration = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const credentials = el(
    'Credentials',
    text('AccessKeyId', ASSUMED_KEY_ID),
    text('SecretAccessKey', 'assumed/secret/key/for/the/test/server/only'),
    text('SessionToken', 'FwoGZXIvYXdzEPORTDRIFT//test-session-token'),
    text('Expiration', expiration),
  );
  const session = params.RoleSessionName ?? '';
  const role = (params.RoleArn ?? '').split('/').pop();
  const user = el(
    'AssumedRoleUser',
    text('AssumedRoleId', `AROAPORTDRIFT:${session}`),
    text('Arn', `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`),
  );
  return queryResponse(STS_NS, 'AssumeRole', credentials + user);
}

const esc = (s: string | number): string =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** An element whose children are already XML. */
const el = (name: string, ...inner: string[]): string => `<${name}>${inner.join('')}</${name}>`;
/** An element holding text. */
const text = (name: string, value: string | number): string => el(name, esc(value));
const list = <T>(name: string, items: readonly T[] | undefined, item: (x: T) => string): string =>
  el(name, ...(items ?? []).map(item));

const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';
const ACCOUNT = '123456789012';

const ec2Tags = (tags: Record<string, string> = {}): string =>
  list('tagSet', Object.entries(tags), ([k, v]) => el('item', text('key', k), text('value', v)));

function ec2Rule(r: Rule): string {
  const v4 = (r.cidrs ?? []).filter((c) => !c.includes(':'));
  const v6 = (r.cidrs ?? []).filter((c) => c.includes(':'));
  return el(
    'item',
    text('ipProtocol', r.protocol),
    r.from !== undefined ? text('fromPort', r.from) : '',
    r.to !== undefined ? text('toPort', r.to) : '',
    list('groups', r.groups, (g) => el('item', text('userId', ACCOUNT), text('groupId', g))),
    list('ipRanges', v4, (c) => el('item', text('cidrIp', c))),
    list('ipv6Ranges', v6, (c) => el('item', text('cidrIpv6', c))),
    list('prefixListIds', r.prefixLists, (p) => el('item', text('prefixListId', p))),
  );
}

function ec2SecurityGroup(g: SecurityGroup): string {
  return el(
    'item',
    text('ownerId', ACCOUNT),
    text('groupId', g.id),
    text('groupName', g.name),
    text('groupDescription', g.description ?? g.name),
    text('vpcId', g.vpcId ?? 'vpc-0a1b2c3d'),
    list('ipPermissions', g.ingress, ec2Rule),
    el('ipPermissionsEgress', ec2Rule({ protocol: '-1', cidrs: ['0.0.0.0/0'] })),
    ec2Tags(g.tags),
  );
}

function ec2Instance(i: Instance): string {
  const address = el('item', text('privateIpAddress', i.privateIp), text('primary', 'true'));
  const eni = el(
    'item',
    text('networkInterfaceId', `eni-${i.id.slice(2)}`),
    text('privateIpAddress', i.privateIp),
    el('privateIpAddressesSet', address),
  );
  return el(
    'item',
    text('instanceId', i.id),
    text('imageId', 'ami-0abcdef1234567890'),
    el('instanceState', text('code', 16), text('name', 'running')),
    text('privateIpAddress', i.privateIp),
    list('groupSet', i.groups, (g) => el('item', text('groupId', g.id), text('groupName', g.name))),
    ec2Tags(i.tags),
    el('networkInterfaceSet', eni),
  );
}

function rdsDb(d: DbInstance): string {
  return el(
    'DBInstance',
    text('DBInstanceIdentifier', d.identifier),
    text('DBInstanceClass', 'db.t3.micro'),
    text('Engine', d.engine),
    text('DBInstanceStatus', 'available'),
    el('Endpoint', text('Address', d.address), text('Port', d.port), text('HostedZoneId', 'Z2R2ITUGPM61AM')),
    text('DbInstancePort', 0),
    list('VpcSecurityGroups', d.securityGroups, (g) =>
      el('VpcSecurityGroupMembership', text('VpcSecurityGroupId', g), text('Status', 'active')),
    ),
    list('TagList', Object.entries(d.tags ?? {}), ([k, v]) => el('Tag', text('Key', k), text('Value', v))),
  );
}

function elbTargetGroup(t: TargetGroup): string {
  return el(
    'member',
    text('TargetGroupArn', `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/${t.name}/0123456789abcdef`),
    text('TargetGroupName', t.name),
    text('Protocol', t.protocol),
    text('Port', t.port),
    text('VpcId', t.vpcId ?? 'vpc-0a1b2c3d'),
    text('TargetType', 'instance'),
  );
}

const ecEndpoint = (name: string, address: string, port: number): string =>
  el(name, text('Address', address), text('Port', port));

const cacheNode = (id: string, address: string, port: number): string =>
  el('CacheNode', text('CacheNodeId', id), text('CacheNodeStatus', 'available'), ecEndpoint('Endpoint', address, port));

function cacheCluster(c: CacheClusterDef): string {
  return el(
    'CacheCluster',
    text('CacheClusterId', c.id),
    c.configurationEndpoint ? ecEndpoint('ConfigurationEndpoint', c.configurationEndpoint, c.port) : '',
    text('CacheNodeType', 'cache.t3.micro'),
    text('Engine', c.engine),
    text('CacheClusterStatus', 'available'),
    text('NumCacheNodes', c.nodes.length),
    el('CacheNodes', ...c.nodes.map((address, i) => cacheNode(String(i + 1).padStart(4, '0'), address, c.port))),
    c.replicationGroupId ? text('ReplicationGroupId', c.replicationGroupId) : '',
    list('SecurityGroups', c.securityGroups, (g) => el('member', text('SecurityGroupId', g), text('Status', 'active'))),
  );
}

function replicationGroup(g: ReplicationGroupDef): string {
  const nodeGroup = g.configurationEndpoint
    ? ''
    : el(
        'NodeGroup',
        text('NodeGroupId', '0001'),
        text('Status', 'available'),
        ecEndpoint('PrimaryEndpoint', g.primaryEndpoint, g.port),
        g.readerEndpoint ? ecEndpoint('ReaderEndpoint', g.readerEndpoint, g.port) : '',
      );
  return el(
    'ReplicationGroup',
    text('ReplicationGroupId', g.id),
    text('Description', g.id),
    text('Status', 'available'),
    list('MemberClusters', g.memberClusters, (c) => text('ClusterId', c)),
    el('NodeGroups', nodeGroup),
    g.configurationEndpoint ? ecEndpoint('ConfigurationEndpoint', g.configurationEndpoint, g.port) : '',
    text('ClusterEnabled', g.configurationEndpoint ? 'true' : 'false'),
    g.engine ? text('Engine', g.engine) : '',
  );
}

const ecsArn = (region: string, what: string): string => `arn:aws:ecs:${region}:${ACCOUNT}:${what}`;
const tgArn = (region: string, name: string): string =>
  `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:targetgroup/${name}/0123456789abcdef`;

/** One ECS JSON 1.1 answer (the body of a 200), or an error `[status, __type, message]`. */
function ecsAnswer(
  action: string,
  input: Record<string, unknown>,
  here: Objects,
  region: string,
  size: number,
): Record<string, unknown> | [number, string, string] {
  const clusters = here.ecsClusters ?? [];
  const clusterOf = (ref: unknown): EcsClusterDef | undefined =>
    clusters.find((c) => ref === c.name || ref === ecsArn(region, `cluster/${c.name}`));
  const token = typeof input.nextToken === 'string' ? input.nextToken : undefined;
  const paged = (key: string, items: string[]): Record<string, unknown> => {
    const p = page(items, token, size);
    return { [key]: p.items, ...(p.next ? { nextToken: p.next } : {}) };
  };
  const taskArn = (c: EcsClusterDef, s: EcsServiceDef, i: number): string =>
    ecsArn(region, `task/${c.name}/${s.name.replace(/[^a-z0-9]/gi, '')}${String(i).padStart(8, '0')}`);
  switch (action) {
    case 'ListClusters':
      return paged(
        'clusterArns',
        clusters.map((c) => ecsArn(region, `cluster/${c.name}`)),
      );
    case 'ListServices': {
      const c = clusterOf(input.cluster);
      if (!c) return [400, 'ClusterNotFoundException', 'Cluster not found.'];
      return paged(
        'serviceArns',
        c.services.map((s) => ecsArn(region, `service/${c.name}/${s.name}`)),
      );
    }
    case 'DescribeServices': {
      const c = clusterOf(input.cluster);
      if (!c) return [400, 'ClusterNotFoundException', 'Cluster not found.'];
      const asked = Array.isArray(input.services) ? input.services : [];
      if (asked.length > 10) return [400, 'InvalidParameterException', 'services can have at most 10 items.'];
      const services = c.services
        .filter((s) => asked.includes(s.name) || asked.includes(ecsArn(region, `service/${c.name}/${s.name}`)))
        .map((s) => ({
          serviceArn: ecsArn(region, `service/${c.name}/${s.name}`),
          serviceName: s.name,
          clusterArn: ecsArn(region, `cluster/${c.name}`),
          status: 'ACTIVE',
          desiredCount: s.tasks.length,
          runningCount: s.tasks.length,
          launchType: 'FARGATE',
          taskDefinition: ecsArn(region, `task-definition/${s.taskDefinition}`),
          loadBalancers:
            s.containerPort !== undefined
              ? [{ targetGroupArn: tgArn(region, s.name), containerName: s.name, containerPort: s.containerPort }]
              : [],
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: ['subnet-0a1b2c3d'],
              securityGroups: s.securityGroups ?? [],
              assignPublicIp: 'DISABLED',
            },
          },
          createdAt: 1767225600,
        }));
      return { services, failures: [] };
    }
    case 'ListTasks': {
      const c = clusterOf(input.cluster);
      if (!c) return [400, 'ClusterNotFoundException', 'Cluster not found.'];
      const only = typeof input.serviceName === 'string' ? input.serviceName : undefined;
      const arns = c.services
        .filter((s) => only === undefined || s.name === only)
        .flatMap((s) => s.tasks.map((_, i) => taskArn(c, s, i)));
      return paged('taskArns', arns);
    }
    case 'DescribeTasks': {
      const c = clusterOf(input.cluster);
      if (!c) return [400, 'ClusterNotFoundException', 'Cluster not found.'];
      const asked = Array.isArray(input.tasks) ? input.tasks : [];
      if (asked.length > 100) return [400, 'InvalidParameterException', 'tasks can have at most 100 items.'];
      const tasks = c.services.flatMap((s) =>
        s.tasks
          .map((ip, i) => ({ ip, arn: taskArn(c, s, i) }))
          .filter((t) => asked.includes(t.arn))
          .map((t) => ({
            taskArn: t.arn,
            clusterArn: ecsArn(region, `cluster/${c.name}`),
            taskDefinitionArn: ecsArn(region, `task-definition/${s.taskDefinition}`),
            group: `service:${s.name}`,
            lastStatus: 'RUNNING',
            desiredStatus: 'RUNNING',
            launchType: 'FARGATE',
            attachments: [
              {
                id: `att-${t.arn.slice(-8)}`,
                type: 'ElasticNetworkInterface',
                status: 'ATTACHED',
                details: [
                  { name: 'subnetId', value: 'subnet-0a1b2c3d' },
                  { name: 'networkInterfaceId', value: `eni-${t.arn.slice(-8)}` },
                  { name: 'privateIPv4Address', value: t.ip },
                ],
              },
            ],
            containers: [
              {
                name: s.name,
                lastStatus: 'RUNNING',
                networkInterfaces: [{ attachmentId: `att-${t.arn.slice(-8)}`, privateIpv4Address: t.ip }],
              },
            ],
          })),
      );
      return { tasks, failures: [] };
    }
    default: {
      // DescribeTaskDefinition: `family:revision`, or its ARN.
      const ref = String(input.taskDefinition ?? '').replace(/^arn:aws:ecs:[^:]+:\d+:task-definition\//, '');
      const d = (here.ecsTaskDefinitions ?? []).find((t) => ref === `${t.family}:${t.revision}` || ref === t.family);
      if (!d) return [400, 'ClientException', 'Unable to describe task definition.'];
      return {
        taskDefinition: {
          taskDefinitionArn: ecsArn(region, `task-definition/${d.family}:${d.revision}`),
          family: d.family,
          revision: d.revision,
          status: 'ACTIVE',
          networkMode: 'awsvpc',
          containerDefinitions: d.containers.map((c) => ({
            name: c.name,
            image: `${c.name}:latest`,
            essential: true,
            portMappings: c.ports.map((p) => ({ containerPort: p, hostPort: p, protocol: 'tcp' })),
          })),
        },
      };
    }
  }
}

/** One page from an opaque token (`offset:N`, base64url) and the token of the next page. */
function page<T>(items: T[], token: string | undefined, size: number): { items: T[]; next: string | undefined } {
  const start = token
    ? Number(
        Buffer.from(token, 'base64url')
          .toString('utf8')
          .replace(/^offset:/, ''),
      )
    : 0;
  const end = start + size;
  const next = end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined;
  return { items: items.slice(start, end), next };
}

function ec2Error(code: string, message: string): string {
  const error = el('Error', text('Code', code), text('Message', message));
  return `${XML}${el('Response', el('Errors', error), text('RequestID', randomUUID()))}`;
}
function queryError(ns: string, code: string, message: string): string {
  const error = el('Error', text('Type', 'Sender'), text('Code', code), text('Message', message));
  return `${XML}<ErrorResponse xmlns="${ns}">${error}${text('RequestId', randomUUID())}</ErrorResponse>`;
}

/** `<Name xmlns=…>` for EC2 (requestId first), `<Name xmlns=…><NameResult>…` for the Query services. */
function ec2Response(action: string, inner: string): string {
  const id = text('requestId', randomUUID());
  return `${XML}<${action}Response xmlns="${EC2_NS}">${id}${inner}</${action}Response>`;
}
function queryResponse(ns: string, action: string, inner: string): string {
  const meta = el('ResponseMetadata', text('RequestId', randomUUID()));
  return `${XML}<${action}Response xmlns="${ns}">${el(`${action}Result`, inner)}${meta}</${action}Response>`;
}

/** `IpPermissions.N.…` query parameters → the rules they name (one source list per permission). */
function permissionsOf(params: Record<string, string>): Rule[] {
  const byIndex = new Map<string, Record<string, string>>();
  for (const [k, v] of Object.entries(params)) {
    const m = /^IpPermissions\.(\d+)\.(.+)$/.exec(k);
    if (!m) continue;
    const one = byIndex.get(m[1]!) ?? {};
    one[m[2]!] = v;
    byIndex.set(m[1]!, one);
  }
  return [...byIndex.values()].map((p) => {
    const values = (re: RegExp): string[] =>
      Object.entries(p)
        .filter(([k]) => re.test(k))
        .map(([, v]) => v);
    const from = p.FromPort !== undefined ? Number(p.FromPort) : undefined;
    const to = p.ToPort !== undefined ? Number(p.ToPort) : undefined;
    return {
      protocol: p.IpProtocol ?? '',
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      cidrs: [...values(/^IpRanges\.\d+\.CidrIp$/), ...values(/^Ipv6Ranges\.\d+\.CidrIpv6$/)],
      groups: values(/^Groups\.\d+\.GroupId$/),
      prefixLists: values(/^PrefixListIds\.\d+\.PrefixListId$/),
    };
  });
}

const sameRange = (a: Rule, b: Rule): boolean =>
  a.protocol === b.protocol && (a.protocol === '-1' || (a.from === b.from && a.to === b.to));
const sourcesOf = (r: Rule): string[] => [...(r.cidrs ?? []), ...(r.groups ?? []), ...(r.prefixLists ?? [])];

/** Revoke or authorize `asked` on `g` as EC2 does: an error code when a source is absent / already there. */
function changeIngress(g: SecurityGroup, asked: Rule[], revoke: boolean): string | null {
  for (const a of asked) {
    const rule = g.ingress.find((r) => sameRange(r, a));
    const have = new Set(rule ? sourcesOf(rule) : []);
    const want = sourcesOf(a);
    if (revoke && (!rule || want.some((s) => !have.has(s)))) return 'InvalidPermission.NotFound';
    if (!revoke && rule && want.some((s) => have.has(s))) return 'InvalidPermission.Duplicate';
  }
  for (const a of asked) {
    const rule = g.ingress.find((r) => sameRange(r, a));
    if (revoke && rule) {
      const drop = new Set(sourcesOf(a));
      rule.cidrs = (rule.cidrs ?? []).filter((c) => !drop.has(c));
      rule.groups = (rule.groups ?? []).filter((c) => !drop.has(c));
      rule.prefixLists = (rule.prefixLists ?? []).filter((c) => !drop.has(c));
      if (sourcesOf(rule).length === 0) g.ingress.splice(g.ingress.indexOf(rule), 1);
    } else if (!revoke && rule) {
      rule.cidrs = [...(rule.cidrs ?? []), ...(a.cidrs ?? [])];
      rule.groups = [...(rule.groups ?? []), ...(a.groups ?? [])];
      rule.prefixLists = [...(rule.prefixLists ?? []), ...(a.prefixLists ?? [])];
    } else if (!revoke) {
      g.ingress.push({ ...a });
    }
  }
  return null;
}

const SIGV4 = new RegExp(
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?/.source +
    /SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/.source,
);

/**
 * `socketPath`: listen on this Unix socket instead of 127.0.0.1 (`url` is then `unix:PATH`), so a
 * scan inside a network namespace of test/lab/netns.mjs reaches it through a forwarder.
 */
export async function startAwsServer(world: AwsWorld, options: { socketPath?: string } = {}): Promise<AwsServer> {
  const requests: SeenRequest[] = [];
  const calls = new Map<string, number>();
  const size = world.pageSize ?? 2;

  // The account's objects in one region: `world` for its own region (or every region when it
  // names none), the `regions` entry for another.
  const inRegion = (region: string): Objects =>
    world.region === undefined || region === world.region ? world : (world.regions?.[region] ?? EMPTY);

  const answer = (action: string, params: Record<string, string>, region: string): string => {
    const here = inRegion(region);
    switch (action) {
      case 'DescribeSecurityGroups': {
        const p = page(here.securityGroups, params.NextToken, size);
        const next = p.next ? text('nextToken', p.next) : '';
        return ec2Response(action, list('securityGroupInfo', p.items, ec2SecurityGroup) + next);
      }
      case 'DescribeInstances': {
        // One reservation per instance, as `run-instances` calls of one instance each make them.
        const p = page(here.instances, params.NextToken, size);
        const reservation = (i: Instance): string =>
          el(
            'item',
            text('reservationId', `r-${i.id.slice(2)}`),
            text('ownerId', ACCOUNT),
            el('instancesSet', ec2Instance(i)),
          );
        const next = p.next ? text('nextToken', p.next) : '';
        return ec2Response(action, list('reservationSet', p.items, reservation) + next);
      }
      case 'DescribeDBInstances': {
        const p = page(here.dbInstances, params.Marker, size);
        const next = p.next ? text('Marker', p.next) : '';
        return queryResponse(RDS_NS, action, next + list('DBInstances', p.items, rdsDb));
      }
      case 'DescribeCacheClusters': {
        const p = page(here.cacheClusters ?? [], params.Marker, size);
        const next = p.next ? text('Marker', p.next) : '';
        return queryResponse(EC_NS, action, next + list('CacheClusters', p.items, cacheCluster));
      }
      case 'DescribeReplicationGroups': {
        const p = page(here.replicationGroups ?? [], params.Marker, size);
        const next = p.next ? text('Marker', p.next) : '';
        return queryResponse(EC_NS, action, next + list('ReplicationGroups', p.items, replicationGroup));
      }
      default: {
        const p = page(here.targetGroups, params.Marker, size);
        const next = p.next ? text('NextMarker', p.next) : '';
        return queryResponse(ELB_NS, action, next + list('TargetGroups', p.items, elbTargetGroup));
      }
    }
  };

  const s3 = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://s3');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    const listing = url.searchParams.get('list-type') === '2';
    const auth = SIGV4.exec(req.headers.authorization ?? '');
    const params = Object.fromEntries(url.searchParams);
    const seen: SeenRequest = {
      action: listing ? 'ListObjectsV2' : 'GetObject',
      service: auth?.[4] ?? null,
      region: auth?.[3] ?? null,
      accessKeyId: auth?.[1] ?? null,
      params: { ...params, Bucket: bucket, ...(key ? { Key: key } : {}) },
      status: 200,
    };
    requests.push(seen);
    const home = world.s3Regions?.[bucket];
    const send = (status: number, type: string, body: string): void => {
      seen.status = status;
      const where = home ? { 'x-amz-bucket-region': home } : {};
      res.writeHead(status, { 'content-type': type, 'x-amz-request-id': randomUUID(), ...where });
      res.end(body);
    };
    const error = (status: number, code: string, message: string): void =>
      send(status, 'application/xml', `${XML}${el('Error', text('Code', code), text('Message', message))}`);
    if (auth?.[4] !== 's3') return error(403, 'AccessDenied', 'Access Denied');
    if (world.rejectKeys?.includes(auth[1]!)) {
      return error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    }
    if (world.deny?.includes(seen.action)) return error(403, 'AccessDenied', 'Access Denied');
    if (home && auth[3] !== home) {
      const message = 'The bucket you are attempting to access must be addressed using the specified endpoint.';
      return error(301, 'PermanentRedirect', message);
    }
    const objects = world.s3?.[bucket];
    if (!objects) return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (listing) {
      const prefix = params.prefix ?? '';
      const keys = Object.keys(objects)
        .filter((k) => k.startsWith(prefix))
        .sort();
      const p = page(keys, params['continuation-token'], size);
      const contents = p.items.map((k) => el('Contents', text('Key', k), text('Size', Buffer.byteLength(objects[k]!))));
      const inner = [
        text('Name', bucket),
        text('Prefix', prefix),
        text('KeyCount', p.items.length),
        text('IsTruncated', p.next ? 'true' : 'false'),
        p.next ? text('NextContinuationToken', p.next) : '',
        ...contents,
      ];
      const ns = 'http://s3.amazonaws.com/doc/2006-03-01/';
      return send(200, 'application/xml', `${XML}<ListBucketResult xmlns="${ns}">${inner.join('')}</ListBucketResult>`);
    }
    const body = objects[key];
    if (body === undefined) return error(404, 'NoSuchKey', 'The specified key does not exist.');
    send(200, 'application/octet-stream', body);
  };

  const WRITES = new Set(['RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress', 'ModifyDBInstance']);
  /** A write: the world changed, the answer as the API gives it, or an error `[status, code, message]`. */
  const write = (action: string, params: Record<string, string>, region: string): string | [number, string, string] => {
    const here = inRegion(region);
    const trail = (source: string, resource: string, requestParameters: Record<string, unknown>): void => {
      here.events = here.events ?? [];
      const user = `arn:aws:iam::${ACCOUNT}:user/portdrift`;
      const time = new Date().toISOString();
      here.events.push({ name: action, source, time, user, resources: [resource], requestParameters });
    };
    if (action === 'ModifyDBInstance') {
      const db = here.dbInstances.find((d) => d.identifier === params.DBInstanceIdentifier);
      if (!db) return [404, 'DBInstanceNotFound', `DBInstance ${params.DBInstanceIdentifier} not found.`];
      if (params.DBPortNumber !== undefined) db.port = Number(params.DBPortNumber);
      trail('rds.amazonaws.com', db.identifier, { dBInstanceIdentifier: db.identifier, dBPortNumber: db.port });
      return queryResponse(RDS_NS, action, rdsDb(db));
    }
    const g = here.securityGroups.find((x) => x.id === params.GroupId);
    if (!g) return [400, 'InvalidGroup.NotFound', `The security group '${params.GroupId}' does not exist`];
    const asked = permissionsOf(params);
    const revoke = action === 'RevokeSecurityGroupIngress';
    const code = changeIngress(g, asked, revoke);
    if (code) {
      const message = revoke
        ? 'The specified rule does not exist in this security group.'
        : 'the specified rule already exists';
      return [400, code, message];
    }
    const ipPermissions = asked.map((r) => ({ ipProtocol: r.protocol, fromPort: r.from, toPort: r.to }));
    trail('ec2.amazonaws.com', g.id, { groupId: g.id, ipPermissions: { items: ipPermissions } });
    return ec2Response(action, text('return', 'true'));
  };

  /** The throttling and denial switches of `world`, for every protocol: null when the call goes on. */
  const gate = (action: string): 'throttle' | 'deny' | null => {
    const n = (calls.get(action) ?? 0) + 1;
    calls.set(action, n);
    if (world.throttleOnce?.includes(action) && n === 1) return 'throttle';
    return world.deny?.includes(action) ? 'deny' : null;
  };

  /** ECS and CloudTrail JSON 1.1: the action from `X-Amz-Target`, the input from the JSON body. */
  const handleJson = (req: IncomingMessage, body: string, res: ServerResponse, target: string): void => {
    const trail = TRAIL_TARGET.exec(target);
    const action = target.slice((trail ? trail[0] : ECS_TARGET).length);
    const auth = SIGV4.exec(req.headers.authorization ?? '');
    let input: Record<string, unknown> = {};
    try {
      input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      input = {};
    }
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(input)) params[k] = typeof v === 'string' ? v : JSON.stringify(v);
    const seen: SeenRequest = {
      action,
      service: auth?.[4] ?? null,
      region: auth?.[3] ?? null,
      accessKeyId: auth?.[1] ?? null,
      params,
      status: 200,
    };
    requests.push(seen);
    const send = (status: number, json: unknown, type?: string): void => {
      seen.status = status;
      const headers: Record<string, string> = {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        ...(type ? { 'x-amzn-errortype': type } : {}),
      };
      res.writeHead(status, headers);
      res.end(JSON.stringify(json));
    };
    const error = (status: number, type: string, message: string): void =>
      send(status, { __type: type, message }, type);
    if (req.method !== 'POST' || !(trail ? action === 'LookupEvents' : ECS_ACTIONS.has(action))) {
      return error(400, 'UnknownOperationException', `Unknown operation ${action}`);
    }
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
      const type = req.headers['content-type'];
      return error(400, 'SerializationException', `content-type ${type} is not application/x-amz-json-1.1`);
    }
    if (!auth) return error(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (world.rejectKeys?.includes(auth[1]!)) {
      return error(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    const g = gate(action);
    if (g === 'throttle') return error(400, 'ThrottlingException', 'Rate exceeded');
    if (g === 'deny') {
      const iam = `${trail ? 'cloudtrail' : 'ecs'}:${action}`;
      const message = `User: arn:aws:iam::${ACCOUNT}:user/portdrift is not authorized to perform: ${iam}`;
      return error(400, 'AccessDeniedException', message);
    }
    const here = inRegion(auth[3]!);
    const out = trail ? lookupEvents(input, here, auth[3]!, size) : ecsAnswer(action, input, here, auth[3]!, size);
    if (Array.isArray(out)) return error(out[0], out[1], out[2]);
    send(200, out);
  };

  const handle = (req: IncomingMessage, body: string, res: ServerResponse): void => {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && (target.startsWith(ECS_TARGET) || TRAIL_TARGET.test(target))) {
      return handleJson(req, body, res, target);
    }
    if (req.method === 'GET') return s3(req, res);
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    const auth = SIGV4.exec(req.headers.authorization ?? '');
    const seen: SeenRequest = {
      action,
      service: auth?.[4] ?? null,
      region: auth?.[3] ?? null,
      accessKeyId: auth?.[1] ?? null,
      params,
      status: 200,
    };
    requests.push(seen);
    const send = (status: number, xml: string): void => {
      seen.status = status;
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': randomUUID() });
      res.end(xml);
    };
    const service = SERVICE_OF[action];
    if (req.method !== 'POST' || !service) {
      return send(400, queryError(RDS_NS, 'InvalidAction', `The action ${action} is not valid for this web service.`));
    }
    const ns = NS_OF[service];
    const error = (status: number, code: string, message: string): void =>
      send(status, service === 'ec2' ? ec2Error(code, message) : queryError(ns, code, message));
    if (!auth) {
      const code = service === 'ec2' ? 'AuthFailure' : 'MissingAuthenticationToken';
      return error(403, code, 'Request is missing Authentication Token');
    }
    if (world.rejectKeys?.includes(auth[1]!)) {
      if (service === 'ec2') return error(401, 'AuthFailure', 'AWS was not able to validate the provided credentials');
      return error(403, 'ExpiredToken', 'The security token included in the request is expired');
    }
    const version = VERSION_OF[service];
    if (params.Version !== version) {
      return error(400, 'InvalidParameterValue', `Version ${params.Version} is not ${version}`);
    }
    const g = gate(action);
    if (g === 'throttle') {
      if (service === 'ec2') return error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
      return error(400, 'Throttling', 'Rate exceeded');
    }
    if (g === 'deny') {
      const iam = `${service === 'elbv2' ? 'elasticloadbalancing' : service}:${action}`;
      const message = `User: arn:aws:iam::${ACCOUNT}:user/portdrift is not authorized to perform: ${iam}`;
      if (service === 'ec2') {
        return error(403, 'UnauthorizedOperation', `You are not authorized to perform this operation. ${message}`);
      }
      return error(403, 'AccessDenied', message);
    }
    if (WRITES.has(action)) {
      const out = write(action, params, auth[3]!);
      if (Array.isArray(out)) return error(out[0], out[1], out[2]);
      return send(200, out);
    }
    send(200, service === 'sts' ? assumeRole(params) : answer(action, params, auth[3]!));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  const path = options.socketPath;
  await new Promise<void>((resolve) => (path ? server.listen(path, resolve) : server.listen(0, '127.0.0.1', resolve)));
  return {
    url: path ? `unix:${path}` : `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
