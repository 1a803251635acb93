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

/** The objects of one kind by each value a key looks up, so matching is linear, not quadratic. */
interface KindIndex {
  id: Map<string, LiveObject[]>;
  name: Map<string, LiveObject[]>;
  tagName: Map<string, LiveObject[]>;
  cfn: Map<string, LiveObject[]>;
}

const CFN_TAG = 'aws:cloudformation:logical-id';

function push(map: Map<string, LiveObject[]>, key: string | null | undefined, o: LiveObject): void {
  if (key === null || key === undefined) return;
  const list = map.get(key);
  if (list) list.push(o);
  else map.set(key, [o]);
}

function indexKind(objects: readonly LiveObject[]): KindIndex {
  const ix: KindIndex = { id: new Map(), name: new Map(), tagName: new Map(), cfn: new Map() };
  for (const o of objects) {
    push(ix.id, o.id, o);
    push(ix.name, o.name, o);
    push(ix.tagName, o.tags.Name, o);
    push(ix.cfn, o.tags[CFN_TAG], o);
  }
  return ix;
}

type Key = [by: string, hits: (ix: KindIndex) => readonly LiveObject[]];

function keysOf(r: Resource): Key[] {
  const k = r.liveKeys ?? {};
  const out: Key[] = [];
  const id = k.id;
  if (id !== undefined) {
    out.push(['state id', (ix) => [...new Set([...(ix.id.get(id) ?? []), ...(ix.name.get(id) ?? [])])]]);
  }
  const identifier = k.identifier;
  if (identifier !== undefined) out.push(['identifier', (ix) => ix.name.get(identifier) ?? []]);
  const name = k.name;
  if (name !== undefined) out.push(['name', (ix) => ix.name.get(name) ?? []]);
  const tagName = k.tags?.Name;
  if (tagName !== undefined) out.push(['tags.Name', (ix) => ix.tagName.get(tagName) ?? []]);
  const logical = k.logicalId ?? (r.address.startsWith('cfn:') ? r.address.slice(4) : undefined);
  if (logical !== undefined) out.push([CFN_TAG, (ix) => ix.cfn.get(logical) ?? []]);
  return out;
}

export function matchLive(resources: readonly Resource[], configured: ConfiguredModel): Matching {
  const byKind = new Map<LiveKind, LiveObject[]>();
  for (const o of configured.objects) {
    const list = byKind.get(o.kind);
    if (list) list.push(o);
    else byKind.set(o.kind, [o]);
  }
  const indexes = new Map<LiveKind, KindIndex>();
  for (const [kind, list] of byKind) indexes.set(kind, indexKind(list));
  const empty = indexKind([]);
  const matches: Match[] = [];
  const unmatched: Resource[] = [];
  const used = new Set<LiveObject>();
  for (const r of resources) {
    const kind = LIVE_TYPES[r.type];
    if (!kind) continue;
    const ix = indexes.get(kind) ?? empty;
    let found: Match | undefined;
    for (const [by, hits] of keysOf(r)) {
      const list = hits(ix);
      if (list.length === 1) {
        found = { resource: r, object: list[0]!, by };
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
