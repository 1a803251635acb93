// Matching IaC resources with the live objects the cloud API lists (`scan --live`). A resource
// is matched by the first of its keys that names exactly one live object of its kind: the id in
// Terraform state, then what the IaC sets (`identifier` of a DB instance, `name` of a security
// group or target group), then the `Name` tag, then CloudFormation's
// `aws:cloudformation:logical-id` tag. A key that names several objects (the same group name in
// two VPCs) matches nothing rather than guessing. Pure: no IO.
import type { ConfiguredModel, LiveKind, LiveObject, Resource } from '../types.js';

export const LIVE_TYPES: Readonly<Record<string, LiveKind>> = {
  aws_security_group: 'security-group',
  aws_instance: 'instance',
  aws_db_instance: 'db-instance',
  aws_lb_target_group: 'target-group',
  aws_alb_target_group: 'target-group',
  aws_elasticache_cluster: 'cache-cluster',
  aws_elasticache_replication_group: 'replication-group',
  aws_ecs_service: 'ecs-service',
  aws_ecs_task_definition: 'task-definition',
  'AWS::EC2::SecurityGroup': 'security-group',
  'AWS::EC2::Instance': 'instance',
  'AWS::RDS::DBInstance': 'db-instance',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'target-group',
  'AWS::ElastiCache::CacheCluster': 'cache-cluster',
  'AWS::ElastiCache::ReplicationGroup': 'replication-group',
  'AWS::ECS::Service': 'ecs-service',
  'AWS::ECS::TaskDefinition': 'task-definition',
};

export interface Match {
  resource: Resource;
  object: LiveObject;
  /** Which key matched: `state id`, `identifier`, `name`, `tags.Name`, `aws:cloudformation:logical-id`. */
  by: string;
}

export interface Matching {
  matches: Match[];
  /** Resources of a kind that is read live, with no live object. */
  unmatched: Resource[];
  /** Live objects of kinds that were read, matched by no resource. */
  unmanaged: LiveObject[];
}

type Key = [by: string, test: (o: LiveObject) => boolean];

function keysOf(r: Resource): Key[] {
  const k = r.liveKeys ?? {};
  const out: Key[] = [];
  if (k.id !== undefined) out.push(['state id', (o) => o.id === k.id || o.name === k.id]);
  if (k.identifier !== undefined) out.push(['identifier', (o) => o.name === k.identifier]);
  if (k.name !== undefined) out.push(['name', (o) => o.name === k.name]);
  const tagName = k.tags?.Name;
  if (tagName !== undefined) out.push(['tags.Name', (o) => o.tags.Name === tagName]);
  const logical = k.logicalId ?? (r.address.startsWith('cfn:') ? r.address.slice(4) : undefined);
  const cfnTag = 'aws:cloudformation:logical-id';
  if (logical !== undefined) out.push([cfnTag, (o) => o.tags[cfnTag] === logical]);
  return out;
}

export function matchLive(resources: readonly Resource[], configured: ConfiguredModel): Matching {
  const byKind = new Map<LiveKind, LiveObject[]>();
  for (const o of configured.objects) {
    const list = byKind.get(o.kind);
    if (list) list.push(o);
    else byKind.set(o.kind, [o]);
  }
  const matches: Match[] = [];
  const unmatched: Resource[] = [];
  const used = new Set<LiveObject>();
  for (const r of resources) {
    const kind = LIVE_TYPES[r.type];
    if (!kind) continue;
    const candidates = byKind.get(kind) ?? [];
    let found: Match | undefined;
    for (const [by, test] of keysOf(r)) {
      const hits = candidates.filter(test);
      if (hits.length === 1) {
        found = { resource: r, object: hits[0]!, by };
        break;
      }
    }
    if (found) {
      matches.push(found);
      used.add(found.object);
    } else {
      unmatched.push(r);
    }
  }
  const unmanaged = configured.objects.filter((o) => !used.has(o));
  return { matches, unmatched, unmanaged };
}
