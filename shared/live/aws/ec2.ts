// EC2: security groups (every ingress rule: protocol, port range, sources) and instances
// (private IPs, tags, security groups), paginated with the SDK's paginators.
import {
  EC2Client,
  type EC2ClientConfig,
  type IpPermission,
  paginateDescribeInstances,
  paginateDescribeSecurityGroups,
} from '@aws-sdk/client-ec2';
import type { LiveObject, LiveRule } from '../../types.js';
import { type LiveProblem, guarded, tagsOf } from './errors.js';

export const ec2Client = (config: EC2ClientConfig): EC2Client => new EC2Client(config);

function protocolOf(p: string | undefined): LiveRule['protocol'] {
  const s = (p ?? '').toLowerCase();
  if (s === '-1' || s === 'all') return 'all';
  if (s === 'tcp' || s === '6') return 'tcp';
  if (s === 'udp' || s === '17') return 'udp';
  return 'other';
}

/**
 * One IpPermission → one rule with all its sources. Protocol -1 covers every port; a 0 start is
 * read as 1 (as the IaC side reads it).
 */
export function ruleOf(p: IpPermission): LiveRule {
  const protocol = protocolOf(p.IpProtocol);
  const all = protocol === 'all' || (p.FromPort === -1 && p.ToPort === -1);
  const port = all ? 1 : Math.max(1, p.FromPort ?? 1);
  const toPort = all ? 65535 : Math.max(port, p.ToPort ?? port);
  const sources = [
    ...(p.IpRanges ?? []).map((r) => r.CidrIp),
    ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6),
    ...(p.UserIdGroupPairs ?? []).map((g) => g.GroupId),
    ...(p.PrefixListIds ?? []).map((l) => l.PrefixListId),
  ].filter((s): s is string => typeof s === 'string');
  return { protocol, port, toPort, sources };
}

const ids = (list: readonly (string | undefined)[]): string[] => list.filter((s): s is string => typeof s === 'string');

export async function readSecurityGroups(
  client: EC2Client,
  region: string,
  problems: LiveProblem[],
): Promise<LiveObject[]> {
  return guarded(region, 'ec2:DescribeSecurityGroups', problems, async () => {
    const out: LiveObject[] = [];
    for await (const page of paginateDescribeSecurityGroups({ client, pageSize: 1000 }, {})) {
      for (const g of page.SecurityGroups ?? []) {
        if (!g.GroupId) continue;
        out.push({
          kind: 'security-group',
          id: g.GroupId,
          name: g.GroupName ?? null,
          region,
          tags: tagsOf(g.Tags),
          ingress: (g.IpPermissions ?? []).map(ruleOf),
        });
      }
    }
    return out;
  });
}

export async function readInstances(client: EC2Client, region: string, problems: LiveProblem[]): Promise<LiveObject[]> {
  return guarded(region, 'ec2:DescribeInstances', problems, async () => {
    const out: LiveObject[] = [];
    for await (const page of paginateDescribeInstances({ client, pageSize: 1000 }, {})) {
      for (const r of page.Reservations ?? []) {
        for (const i of r.Instances ?? []) {
          if (!i.InstanceId) continue;
          const tags = tagsOf(i.Tags);
          const ips = new Set<string>();
          if (i.PrivateIpAddress) ips.add(i.PrivateIpAddress);
          for (const n of i.NetworkInterfaces ?? []) {
            for (const a of n.PrivateIpAddresses ?? []) if (a.PrivateIpAddress) ips.add(a.PrivateIpAddress);
          }
          out.push({
            kind: 'instance',
            id: i.InstanceId,
            name: tags.Name ?? null,
            region,
            tags,
            ...(i.PrivateIpAddress ? { address: i.PrivateIpAddress } : {}),
            privateIps: [...ips],
            securityGroups: ids((i.SecurityGroups ?? []).map((g) => g.GroupId)),
          });
        }
      }
    }
    return out;
  });
}
