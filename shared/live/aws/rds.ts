// RDS: DB instances (identifier, engine, endpoint address and port, tags, security groups).
import { RDSClient, type RDSClientConfig, paginateDescribeDBInstances } from '@aws-sdk/client-rds';
import type { LiveObject } from '../../types.js';
import { type LiveProblem, guarded, tagsOf } from './errors.js';

export const rdsClient = (config: RDSClientConfig): RDSClient => new RDSClient(config);

export async function readDbInstances(
  client: RDSClient,
  region: string,
  problems: LiveProblem[],
): Promise<LiveObject[]> {
  return guarded(region, 'rds:DescribeDBInstances', problems, async () => {
    const out: LiveObject[] = [];
    for await (const page of paginateDescribeDBInstances({ client, pageSize: 100 }, {})) {
      for (const d of page.DBInstances ?? []) {
        if (!d.DBInstanceIdentifier) continue;
        // The endpoint is absent while an instance is being created; DbInstancePort is 0 for
        // most engines, so the endpoint's port is the one clients use.
        const port = d.Endpoint?.Port ?? (d.DbInstancePort ? d.DbInstancePort : undefined);
        out.push({
          kind: 'db-instance',
          id: d.DBInstanceIdentifier,
          name: d.DBInstanceIdentifier,
          region,
          tags: tagsOf(d.TagList),
          ...(port !== undefined ? { port } : {}),
          ...(d.Endpoint?.Address ? { address: d.Endpoint.Address } : {}),
          ...(d.Engine ? { engine: d.Engine } : {}),
          securityGroups: (d.VpcSecurityGroups ?? [])
            .map((g) => g.VpcSecurityGroupId)
            .filter((s): s is string => typeof s === 'string'),
        });
      }
    }
    return out;
  });
}
