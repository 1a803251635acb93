// The configured model: what the cloud APIs say is configured now (shared/live, `scan --live`).
import type { Protocol } from './declared.js';

export interface LiveSummary {
  provider: 'aws';
  regions: string[];
  /** Live objects read, per kind. */
  read: Record<string, number>;
  matched: { resource: string; liveId: string; by: string }[];
  /** IaC resources of a type portdrift reads live that matched no live object. */
  unmatchedResources: string[];
  /** Live objects that no IaC resource matches. */
  unmanaged: { kind: LiveKind; liveId: string; name: string | null; region: string }[];
  /** What could not be read (an operation denied, a region failing), everything else still read. */
  problems: { region: string; operation: string; message: string; code: string }[];
}

export type LiveKind =
  | 'security-group'
  | 'instance'
  | 'db-instance'
  | 'target-group'
  | 'cache-cluster'
  | 'replication-group'
  | 'ecs-service'
  | 'task-definition';

/** One ingress rule of a live security group (one protocol and port range, all its sources). */
export interface LiveRule {
  /** `all` for protocol -1; other protocols (icmp, …) are `other` and never port rules. */
  protocol: Protocol | 'other';
  port: number;
  toPort: number;
  /** CIDRs (v4 and v6), `sg-…` group ids, `pl-…` prefix lists. */
  sources: string[];
}

export interface LiveObject {
  kind: LiveKind;
  /** `sg-…`, `i-…`, the DB identifier, the target group ARN. */
  id: string;
  /** The name the console shows: GroupName, DBInstanceIdentifier, TargetGroupName, tag Name. */
  name: string | null;
  region: string;
  tags: Record<string, string>;
  /** db-instance, target-group, cache-cluster, replication-group, ecs-service (its load balancer's container port). */
  port?: number;
  /** task-definition, ecs-service: every container port its task definition maps. */
  ports?: number[];
  /** cache-cluster, replication-group: every node endpoint; ecs-service: every running task's private IP. */
  addresses?: string[];
  protocol?: string;
  /** db-instance: the endpoint address; instance: the first private IP; cache: the primary or
   * configuration endpoint; ecs-service: the first running task's IP. */
  address?: string;
  engine?: string;
  /** security-group: every ingress rule. */
  ingress?: LiveRule[];
  /** instance: private IPs and security-group ids. */
  privateIps?: string[];
  securityGroups?: string[];
}

export interface ConfiguredModel {
  provider: 'aws';
  regions: string[];
  objects: LiveObject[];
  problems: LiveSummary['problems'];
}
