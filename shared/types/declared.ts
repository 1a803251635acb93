// The declared model: what the IaC says must listen where (the extractors' output).
import type { ServiceName } from './probe.js';

/** A position in an IaC file. `file` is relative to the IaC root given on the command line; `line` is 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** `listen`: something must listen there. `allow`: a firewall / security-group rule permits it. */
export type Role = 'listen' | 'allow';

/** `all` stands for protocol `-1` / `*` / `all` in rules; it is never a listen port. */
export type Protocol = 'tcp' | 'udp' | 'all';

/** Which traffic a rule (role `allow`) permits: into the resource, or out of it. */
export type Direction = 'ingress' | 'egress';

export interface Resource {
  /** `aws_db_instance.orders`, `module.api.aws_lb_target_group.web[0]`, `cfn:OrdersDb`, `k8s:Service/shop/cart`,
   * `compose:cart` */
  address: string;
  type: string;
  source: SourceLocation;
  /** Deployed hosts (IPs or DNS names) from state, a targets file or derivation; may be empty. */
  hosts: string[];
  /**
   * Internal (not in the extraction JSON, the address says it): the Terraform root directory
   * that prefixes `address` (`envs/prod` of `envs/prod:aws_db_instance.a`) when several roots
   * were extracted at once. State holds addresses without it.
   */
  root?: string;
  /**
   * Internal (not in the extraction JSON): the pods a Kubernetes workload or Service selects, so
   * that an agent in a pod (its Downward-API namespace and labels) is mapped to the resources
   * that declare its ports. A Service also says the numeric targetPorts it sends to those pods.
   */
  pods?: PodSelector;
  /**
   * What the IaC sets that names the resource's live object (`identifier`, `name`, tags, the
   * id in state), so `scan --live` can match it with what the cloud API lists. Internal: not
   * part of the extraction JSON output.
   */
  liveKeys?: LiveKeys;
}

/** The values that identify a resource's live object; each absent where the IaC does not set it literally. */
export interface LiveKeys {
  /** The id in Terraform state (`sg-…`, the DB identifier, a target group ARN). */
  id?: string;
  /** `identifier` of aws_db_instance. */
  identifier?: string;
  /** `name` of aws_security_group / aws_lb_target_group. */
  name?: string;
  /** Literal tags (`tags.Name`, …). */
  tags?: Record<string, string>;
  /** CloudFormation logical id, matched with the `aws:cloudformation:logical-id` tag. */
  logicalId?: string;
  /** A standalone rule resource: the address of the security group it belongs to. */
  securityGroup?: string;
}

export interface DeclaredEndpoint {
  resource: string;
  /** null when the host is not known; the endpoint is still listed. */
  host: string | null;
  port: number;
  /** Inclusive upper end of a range (`from_port = 8000`, `to_port = 8100`); absent for a single port. */
  toPort?: number;
  protocol: Protocol;
  role: Role;
  /**
   * Rules only (role `allow`), when the IaC says it: `ingress` permits traffic to the port,
   * `egress` permits traffic out to it. An egress rule says nothing about what listens here and
   * is never exposure.
   */
  direction?: Direction;
  /** The line of the port's own attribute where one exists, else the resource's first line. */
  source: SourceLocation;
  /**
   * Where the port's value is written when that is not `source` itself: a variable default, a
   * tfvars value, a local, a CloudFormation parameter default. What `portdrift fix` edits.
   * Internal: not part of the extraction JSON output.
   */
  origin?: ValueOrigin;
  /**
   * The service the IaC says answers here (an RDS engine, a target group protocol, a Kubernetes
   * appProtocol or port name, a Compose image), with the line that says it. Absent: the IaC
   * expects nothing in particular. Internal: not part of the extraction JSON output.
   */
  expect?: ServiceExpectation;
  /**
   * Security-group ingress rules: the sources the IaC writes literally (CIDRs, `pl-…`), a
   * referenced group as its resource address (`aws_security_group.web`), `self` for the rule's own
   * group. What `fix --environment` authorizes again. Internal: not part of the extraction JSON output.
   */
  sources?: string[];
}

/** What a declared listen port should speak, and why (`engine "postgres"` at main.tf:12). */
export interface ServiceExpectation {
  service: ServiceName;
  source: SourceLocation;
  /** The IaC text that implies it: `engine "postgres"`, `protocol HTTPS`, `image postgres:16`. */
  by: string;
}

export interface ValueOrigin {
  kind: 'literal' | 'variable-default' | 'tfvars' | 'local' | 'module-input' | 'parameter-default' | 'parameter-file';
  file: string;
  line: number;
  /** The variable / local / parameter name, for kinds other than `literal`. */
  name?: string;
  /** The literal text as written there (`5432`, `"5432"`). */
  text: string;
  /** Other endpoints fed by the same origin (resource addresses), so `fix` can say so. */
  sharedWith?: string[];
}

/** A value that could not be resolved statically: listed, never guessed, never dropped. */
export interface Unresolved {
  resource: string;
  /** The attribute path that holds the value, e.g. `port` or `ingress[0].from_port`. */
  attribute: string;
  /** The expression as written, e.g. `${aws_db_instance.main.port}`. */
  expression: string;
  source: SourceLocation;
}

/** A file (or part of one) that could not be read; every other file is still extracted. */
export interface Problem {
  file: string;
  line?: number;
  message: string;
  /** A stable code from shared/errors.ts (PD_…), where one applies. */
  code?: string;
  /**
   * `warning`: the file was extracted in full and the note is about how it was read (a repeated
   * YAML key: the last value is used). Absent: something was not extracted.
   */
  severity?: 'warning';
}

export interface DeclaredModel {
  resources: Resource[];
  endpoints: DeclaredEndpoint[];
  unresolved: Unresolved[];
  problems: Problem[];
}

/** `portdrift extract --format json`, version 1. */
export interface ExtractionOutput extends DeclaredModel {
  version: 1;
}

/** A Kubernetes label selector (matchLabels and matchExpressions), with the namespace it applies in. */
export interface PodSelector {
  namespace: string;
  matchLabels: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values: string[] }>;
  /** A Service's numeric targetPorts (TCP and UDP), with the line that declares each. */
  targetPorts?: Array<{ port: number; protocol: Protocol; source: SourceLocation }>;
}
