// The three-way drift engine (shared/drift/live.ts) and its matching (live-match.ts), pure: a
// declared model and a configured model built here, no AWS.
import { describe, expect, it } from 'vitest';
import { computeLiveDrift, emptyReport, withLive } from '../../../../shared/drift/live.js';
import { parseState } from '../../../../shared/iac/state.js';
import type {
  ConfiguredModel,
  DeclaredEndpoint,
  DeclaredModel,
  LiveObject,
  Resource,
} from '../../../../shared/types.js';

const NOW = '2026-12-06T20:00:00.000Z';
const src = (line: number) => ({ file: 'main.tf', line });
const res = (address: string, type: string, line: number, liveKeys?: Resource['liveKeys']): Resource => ({
  address,
  type,
  source: src(line),
  hosts: [],
  ...(liveKeys ? { liveKeys } : {}),
});
type Extra = Partial<DeclaredEndpoint>;
const ingress = (resource: string, port: number, line: number, extra: Extra = {}): DeclaredEndpoint => ({
  resource,
  host: null,
  port,
  protocol: 'tcp',
  role: 'allow',
  direction: 'ingress',
  source: src(line),
  ...extra,
});
type Tags = Record<string, string>;
const sg = (id: string, name: string, ingressRules: LiveObject['ingress'], tags: Tags = {}): LiveObject => ({
  kind: 'security-group',
  id,
  name,
  region: 'eu-west-1',
  tags,
  ingress: ingressRules ?? [],
});
const live = (objects: LiveObject[]): ConfiguredModel => ({
  provider: 'aws',
  regions: ['eu-west-1'],
  objects,
  problems: [],
});
const model = (resources: Resource[], endpoints: DeclaredEndpoint[]): DeclaredModel => ({
  resources,
  endpoints,
  unresolved: [],
  problems: [],
});

describe('live matching', () => {
  it('prefers the id in state over the name, and matches nothing on an ambiguous key', () => {
    const m = model(
      [
        res('aws_security_group.web', 'aws_security_group', 1, { id: 'sg-2', name: 'web' }),
        res('aws_security_group.dup', 'aws_security_group', 9, { name: 'dup' }),
      ],
      [],
    );
    const objects = [sg('sg-1', 'web', []), sg('sg-2', 'web', []), sg('sg-3', 'dup', []), sg('sg-4', 'dup', [])];
    const { live: summary } = computeLiveDrift(m, live(objects), { now: NOW });
    expect(summary.matched).toEqual([{ resource: 'aws_security_group.web', liveId: 'sg-2', by: 'state id' }]);
    expect(summary.unmatchedResources).toEqual(['aws_security_group.dup']);
    expect(summary.unmanaged.map((u) => u.liveId)).toEqual(['sg-1', 'sg-3', 'sg-4']);
  });

  it('matches a CloudFormation resource by the aws:cloudformation:logical-id tag', () => {
    const m = model([res('cfn:WebGroup', 'AWS::EC2::SecurityGroup', 4)], []);
    const objects = [sg('sg-9', 'stack-WebGroup-1ABC', [], { 'aws:cloudformation:logical-id': 'WebGroup' })];
    const { live: summary } = computeLiveDrift(m, live(objects), { now: NOW });
    const by = 'aws:cloudformation:logical-id';
    expect(summary.matched).toEqual([{ resource: 'cfn:WebGroup', liveId: 'sg-9', by }]);
  });

  it('reads the live id from Terraform state: the identifier of a DB instance, the id of the others', () => {
    const state = {
      version: 4,
      resources: [
        {
          mode: 'managed',
          type: 'aws_db_instance',
          name: 'orders',
          instances: [{ attributes: { id: 'db-ABCDEF', identifier: 'orders' } }],
        },
        { mode: 'managed', type: 'aws_security_group', name: 'web', instances: [{ attributes: { id: 'sg-0123' } }] },
        { mode: 'managed', type: 'aws_s3_bucket', name: 'logs', instances: [{ attributes: { id: 'logs' } }] },
      ],
    };
    const ids = parseState(JSON.stringify(state), 'terraform.tfstate').ids!;
    expect([...ids]).toEqual([
      ['aws_db_instance.orders', 'orders'],
      ['aws_security_group.web', 'sg-0123'],
    ]);
  });
});

describe('live drift', () => {
  it('compares a group with its standalone rules; all traffic opened by hand is high', () => {
    const rule = 'aws_vpc_security_group_ingress_rule.https';
    const m = model(
      [
        res('aws_security_group.app', 'aws_security_group', 1, { name: 'app' }),
        res(rule, 'aws_vpc_security_group_ingress_rule', 20, { securityGroup: 'aws_security_group.app' }),
      ],
      [ingress(rule, 443, 23), ingress('aws_security_group.app', 9000, 5, { direction: 'egress' })],
    );
    const objects = [
      sg('sg-app', 'app', [
        { protocol: 'tcp', port: 443, toPort: 443, sources: ['10.0.0.0/16'] },
        { protocol: 'all', port: 1, toPort: 65535, sources: ['sg-app'] },
        { protocol: 'other', port: 1, toPort: 65535, sources: ['10.0.0.0/16'] },
        { protocol: 'tcp', port: 8080, toPort: 8081, sources: ['pl-1234'] },
      ]),
    ];
    const { findings } = computeLiveDrift(m, live(objects), { now: NOW });
    expect(findings.map((f) => [f.kind, f.severity, f.port, f.configured])).toEqual([
      ['unmanaged-rule', 'high', 1, { port: 1, toPort: 65535, protocol: 'all', sources: ['sg-app'] }],
      ['unmanaged-rule', 'medium', 8080, { port: 8080, toPort: 8081, protocol: 'tcp', sources: ['pl-1234'] }],
    ]);
    expect(findings[0]!.suggestion).toContain('--group-id sg-app --protocol -1 --source-group sg-app');
  });

  it('a target group on another port: config-drift whose revert is a recreation; same port: nothing', () => {
    const resource = 'aws_lb_target_group.api';
    const listen: DeclaredEndpoint = {
      resource,
      host: null,
      port: 8080,
      protocol: 'tcp',
      role: 'listen',
      source: src(12),
    };
    const m = model([res('aws_lb_target_group.api', 'aws_lb_target_group', 10, { name: 'api' })], [listen]);
    const tg = (port: number): LiveObject => ({
      kind: 'target-group',
      id: 'arn:tg/api',
      name: 'api',
      region: 'eu-west-1',
      tags: {},
      port,
    });
    const moved = computeLiveDrift(m, live([tg(8081)]), { now: NOW });
    expect(moved.findings.map((f) => [f.kind, f.port, f.declared, f.configured, f.observed, f.liveId])).toEqual([
      ['config-drift', 8080, { port: 8080, protocol: 'tcp' }, { port: 8081, protocol: 'tcp' }, null, 'arn:tg/api'],
    ]);
    expect(moved.findings[0]!.suggestion).toContain('main.tf:12 port 8080 → 8081');
    expect(moved.findings[0]!.suggestion).toContain('recreate target group api on port 8080');
    expect(computeLiveDrift(m, live([tg(8080)]), { now: NOW }).findings).toEqual([]);
  });

  it('withLive adds the findings to a report, recounts by kind and sets summary.live', () => {
    const group = res('aws_security_group.app', 'aws_security_group', 1, { name: 'app' });
    const m = model([group], [ingress('aws_security_group.app', 22, 3)]);
    const drift = computeLiveDrift(m, live([sg('sg-app', 'app', [])]), { now: NOW });
    const report = withLive(emptyReport(m, NOW), drift);
    expect(report.summary).toMatchObject({ resources: 1, endpoints: 0, findings: 1, byKind: { 'missing-rule': 1 } });
    expect(report.summary.live!.matched).toHaveLength(1);
    expect(report.findings[0]!.message).toBe(
      'aws_security_group.app declares ingress tcp 22 but security group app (sg-app) has no such rule',
    );
  });
});
