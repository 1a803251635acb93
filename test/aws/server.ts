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
// Every request must carry a SigV4 `Authorization` header (its presence and shape are checked,
// not the signature). Pages are `pageSize` items long whatever MaxResults asks, so pagination
// always runs. `throttleOnce` answers the first call of an action with the service's throttling
// error; `deny` answers every call of an action with AccessDenied (UnauthorizedOperation on EC2);
// `rejectKeys` answers as AWS answers expired or unknown keys (AuthFailure, ExpiredToken). STS
// AssumeRole (Query 2011-06-15) hands out temporary keys, so `--aws-role-arn` runs end to end.
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

export interface Objects {
  securityGroups: SecurityGroup[];
  instances: Instance[];
  dbInstances: DbInstance[];
  targetGroups: TargetGroup[];
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

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const SERVICE_OF: Record<string, 'ec2' | 'rds' | 'elbv2' | 'sts'> = {
  DescribeSecurityGroups: 'ec2',
  DescribeInstances: 'ec2',
  DescribeDBInstances: 'rds',
  DescribeTargetGroups: 'elbv2',
  AssumeRole: 'sts',
};
const VERSION_OF = { ec2: '2016-11-15', rds: '2014-10-31', elbv2: '2015-12-01', sts: '2011-06-15' } as const;

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

/** One page from an opaque token (`offset:N`, base64url) and the token of the next page. */
function page<T>(items: T[], token: string | undefined, size: number): { items: T[]; next: string | undefined } {
  const start = token ? Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^offset:/, '')) : 0;
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

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/;

export async function startAwsServer(world: AwsWorld): Promise<AwsServer> {
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
    if (!auth || auth[4] !== 's3') return error(403, 'AccessDenied', 'Access Denied');
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
      const keys = Object.keys(objects).filter((k) => k.startsWith(prefix)).sort();
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

  const handle = (req: IncomingMessage, body: string, res: ServerResponse): void => {
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
    const ns = service === 'ec2' ? EC2_NS : service === 'rds' ? RDS_NS : service === 'sts' ? STS_NS : ELB_NS;
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
    const n = (calls.get(action) ?? 0) + 1;
    calls.set(action, n);
    if (world.throttleOnce?.includes(action) && n === 1) {
      if (service === 'ec2') return error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
      return error(400, 'Throttling', 'Rate exceeded');
    }
    if (world.deny?.includes(action)) {
      const iam = `${service === 'elbv2' ? 'elasticloadbalancing' : service}:${action}`;
      const message = `User: arn:aws:iam::${ACCOUNT}:user/portdrift is not authorized to perform: ${iam}`;
      if (service === 'ec2') {
        return error(403, 'UnauthorizedOperation', `You are not authorized to perform this operation. ${message}`);
      }
      return error(403, 'AccessDenied', message);
    }
    send(200, service === 'sts' ? assumeRole(params) : answer(action, params, auth[3]!));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
