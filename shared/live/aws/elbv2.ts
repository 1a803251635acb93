// ELBv2: target groups (name, port, protocol). Their tags need one more call per 20 groups
// (DescribeTags) and are not read yet: target groups are matched by name or state id.
import {
  ElasticLoadBalancingV2Client,
  type ElasticLoadBalancingV2ClientConfig,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LiveObject } from '../../types.js';
import { type LiveProblem, guarded } from './errors.js';

export const elbv2Client = (config: ElasticLoadBalancingV2ClientConfig): ElasticLoadBalancingV2Client =>
  new ElasticLoadBalancingV2Client(config);

export async function readTargetGroups(
  client: ElasticLoadBalancingV2Client,
  region: string,
  problems: LiveProblem[],
): Promise<LiveObject[]> {
  return guarded(region, 'elasticloadbalancing:DescribeTargetGroups', problems, async () => {
    const out: LiveObject[] = [];
    for await (const page of paginateDescribeTargetGroups({ client, pageSize: 400 }, {})) {
      for (const t of page.TargetGroups ?? []) {
        if (!t.TargetGroupArn) continue;
        out.push({
          kind: 'target-group',
          id: t.TargetGroupArn,
          name: t.TargetGroupName ?? null,
          region,
          tags: {},
          ...(t.Port !== undefined ? { port: t.Port } : {}),
          ...(t.Protocol ? { protocol: t.Protocol } : {}),
        });
      }
    }
    return out;
  });
}
