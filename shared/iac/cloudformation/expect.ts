// The service each CloudFormation resource's listen ports should speak (see ../expect.ts), from
// the property that says it and its line: `Engine` of RDS and ElastiCache, `Protocol` of ELBv2
// listeners and target groups; Amazon MQ endpoints are TLS.
import type { ServiceName } from '../../types.js';
import { engineService, expectSince, lbProtocolService } from '../expect.js';
import { prop, stringProp, type ResourceScope } from './resources.js';

const BY_PROPERTY: Record<string, { name: string; map: (v: string) => ServiceName | null; fallback?: string }> = {
  'AWS::RDS::DBInstance': { name: 'Engine', map: engineService },
  'AWS::RDS::DBCluster': { name: 'Engine', map: engineService },
  'AWS::ElastiCache::CacheCluster': { name: 'Engine', map: engineService },
  'AWS::ElastiCache::ReplicationGroup': { name: 'Engine', map: engineService, fallback: 'redis' },
  'AWS::ElasticLoadBalancingV2::Listener': { name: 'Protocol', map: lbProtocolService },
  'AWS::ElasticLoadBalancingV2::TargetGroup': { name: 'Protocol', map: lbProtocolService },
};

/** Sets `expect` on the listen endpoints `r` emitted from index `from` on. */
export function expectCloudFormation(r: ResourceScope, type: string, from: number): void {
  if (from === r.model.endpoints.length) return;
  const file = r.ev.s.file;
  if (type === 'AWS::AmazonMQ::Broker') {
    const by = 'Amazon MQ endpoints (TLS)';
    expectSince(r.model, from, r.address, () => ({ service: 'tls', source: { file, line: r.line }, by }));
    return;
  }
  const p = BY_PROPERTY[type];
  if (!p) return;
  const written = prop(r, r.props, p.name);
  const value = written ? stringProp(r, r.props, p.name) : p.fallback;
  if (typeof value !== 'string') return;
  const source = { file, line: written?.line ?? r.line };
  // A target group's health-check port speaks HealthCheckProtocol, not Protocol: no expectation from it.
  const targetGroup = type === 'AWS::ElasticLoadBalancingV2::TargetGroup';
  const hc = targetGroup ? prop(r, r.props, 'HealthCheckPort')?.line : undefined;
  expectSince(r.model, from, r.address, (e) =>
    e.source.line === hc ? undefined : { service: p.map(value), source, by: `${p.name} ${JSON.stringify(value)}` },
  );
}
