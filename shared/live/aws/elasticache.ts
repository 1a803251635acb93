// ElastiCache: cache clusters (every node's endpoint, the port, the engine, the security groups)
// and replication groups (primary / configuration endpoint and port, every member node),
// paginated with the SDK's paginators (`Marker`). The clusters of a replication group (its nodes)
// are read as part of the group, not as clusters of their own.
import {
  type CacheCluster,
  ElastiCacheClient,
  type ElastiCacheClientConfig,
  type ReplicationGroup,
  paginateDescribeCacheClusters,
  paginateDescribeReplicationGroups,
} from '@aws-sdk/client-elasticache';
import type { LiveObject } from '../../types.js';
import { type LiveProblem, guarded } from './errors.js';

export const elasticacheClient = (config: ElastiCacheClientConfig): ElastiCacheClient => new ElastiCacheClient(config);

const defined = <T>(list: readonly (T | undefined)[]): T[] => list.filter((x): x is T => x !== undefined);

export function cacheClusterOf(c: CacheCluster, region: string): LiveObject | null {
  if (!c.CacheClusterId) return null;
  const nodes = defined((c.CacheNodes ?? []).map((n) => n.Endpoint));
  // Memcached answers on its configuration endpoint too; Redis / Valkey nodes each on their own.
  const main = c.ConfigurationEndpoint ?? nodes[0];
  const addresses = [...new Set(defined([c.ConfigurationEndpoint, ...nodes].map((e) => e?.Address)))];
  const port = main?.Port;
  return {
    kind: 'cache-cluster',
    id: c.CacheClusterId,
    name: c.CacheClusterId,
    region,
    tags: {},
    ...(port !== undefined ? { port } : {}),
    ...(main?.Address ? { address: main.Address } : {}),
    addresses,
    ...(c.Engine ? { engine: c.Engine } : {}),
    securityGroups: defined((c.SecurityGroups ?? []).map((g) => g.SecurityGroupId)),
  };
}

export function replicationGroupOf(g: ReplicationGroup, region: string): LiveObject | null {
  if (!g.ReplicationGroupId) return null;
  const groups = g.NodeGroups ?? [];
  // Cluster mode on: one configuration endpoint; off: the primary endpoint of its one node group.
  const main = g.ConfigurationEndpoint ?? groups[0]?.PrimaryEndpoint;
  const nodes = groups.flatMap((n) => [
    n.PrimaryEndpoint,
    n.ReaderEndpoint,
    ...(n.NodeGroupMembers ?? []).map((m) => m.ReadEndpoint),
  ]);
  const addresses = [...new Set(defined([main, ...nodes].map((e) => e?.Address)))];
  return {
    kind: 'replication-group',
    id: g.ReplicationGroupId,
    name: g.ReplicationGroupId,
    region,
    tags: {},
    ...(main?.Port !== undefined ? { port: main.Port } : {}),
    ...(main?.Address ? { address: main.Address } : {}),
    addresses,
    ...(g.Engine ? { engine: g.Engine } : {}),
  };
}

export async function readCacheClusters(
  client: ElastiCacheClient,
  region: string,
  problems: LiveProblem[],
): Promise<LiveObject[]> {
  return guarded(region, 'elasticache:DescribeCacheClusters', problems, async () => {
    const out: LiveObject[] = [];
    const input = { ShowCacheNodeInfo: true };
    for await (const page of paginateDescribeCacheClusters({ client, pageSize: 100 }, input)) {
      for (const c of page.CacheClusters ?? []) {
        if (c.ReplicationGroupId) continue;
        const o = cacheClusterOf(c, region);
        if (o) out.push(o);
      }
    }
    return out;
  });
}

export async function readReplicationGroups(
  client: ElastiCacheClient,
  region: string,
  problems: LiveProblem[],
): Promise<LiveObject[]> {
  return guarded(region, 'elasticache:DescribeReplicationGroups', problems, async () => {
    const out: LiveObject[] = [];
    for await (const page of paginateDescribeReplicationGroups({ client, pageSize: 100 }, {})) {
      for (const g of page.ReplicationGroups ?? []) {
        const o = replicationGroupOf(g, region);
        if (o) out.push(o);
      }
    }
    return out;
  });
}
