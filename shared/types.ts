// Domain and wire types shared by every part of portdrift. This file imports nothing: it is the
// contract between the extractor, the probe engine, the drift engine, the collector, the agent
// and the CLI (docs/design/architecture.md#vocabulary).

// ---------------------------------------------------------------------------------------------
// Declared model (IaC → what must listen where)
// ---------------------------------------------------------------------------------------------

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
  /** `aws_db_instance.orders`, `module.api.aws_lb_target_group.web[0]`, `cfn:OrdersDb`, `k8s:Service/shop/cart`, `compose:cart` */
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

// ---------------------------------------------------------------------------------------------
// Probing
// ---------------------------------------------------------------------------------------------

/**
 * `open`: handshake completed. `closed`: RST / ECONNREFUSED. `filtered`: no answer within the
 * timeout, also after retry. `unreachable`: EHOSTUNREACH / ENETUNREACH. A local error of the
 * prober (EMFILE, EADDRNOTAVAIL, …) is never a port state.
 */
export type PortState = 'open' | 'closed' | 'filtered' | 'unreachable';

export interface ProbeResult {
  /** The name as given (DNS name or IP literal). */
  host: string;
  /** The address actually probed (every A and AAAA record is probed separately). */
  ip: string;
  port: number;
  state: PortState;
  /** Handshake or RST round-trip time; null for filtered / unreachable. */
  rttMs: number | null;
  /** Attempts made for this result (1 unless retried). */
  attempts: number;
  /** What answered on an open port, when fingerprinting was asked for (`probe --fingerprint`). */
  fingerprint?: Fingerprint;
}

/**
 * Service names a fingerprint can give (shared/services.ts lists them with their aliases).
 * `unknown`: the port is open but no banner and no hello answer matched.
 */
export type ServiceName =
  | 'ssh'
  | 'smtp'
  | 'ftp'
  | 'mysql'
  | 'postgres'
  | 'tls'
  | 'http'
  | 'http2'
  | 'redis'
  | 'memcached'
  | 'mongodb'
  | 'kafka'
  | 'amqp'
  | 'unknown';

/** The certificate a TLS service presented (read, never verified: a fingerprint, not trust). */
export interface TlsInfo {
  /** `CN=orders.internal, O=Acme` */
  subject: string;
  issuer: string;
  /** subjectAltName entries as `DNS:name` / `IP:address`. */
  sans: string[];
  /** ISO-8601 expiry of the certificate. */
  notAfter: string;
  selfSigned: boolean;
  /** Negotiated protocol version (`TLSv1.3`) and ALPN protocol (`h2`, `http/1.1`) where one was chosen. */
  protocol?: string;
  alpn?: string;
  /** Whether the certificate covers the probed host name; absent when the host was an IP literal. */
  hostMatch?: boolean;
}

/** One open port's protocol fingerprint, from a passive banner or one read-only hello. */
export interface Fingerprint {
  service: ServiceName;
  /** `OpenSSH`, `nginx`, `MariaDB`, … where the answer names it. */
  product?: string;
  version?: string;
  tls?: TlsInfo;
  /** A short human note: the banner line, the HTTP status line, why nothing matched. */
  detail?: string;
}

export interface ProbeSummary {
  probes: number;
  open: number;
  closed: number;
  filtered: number;
  unreachable: number;
  seconds: number;
}

/** `portdrift probe --format json`, version 1. `results` lists every non-closed result unless `--all`. */
export interface ProbeOutput {
  version: 1;
  results: ProbeResult[];
  summary: ProbeSummary;
}

// ---------------------------------------------------------------------------------------------
// Observations and findings
// ---------------------------------------------------------------------------------------------

/** One probe result as the drift engine and the collector see it. */
export interface Observation {
  agent: string;
  host: string;
  ip: string;
  port: number;
  state: PortState;
  rttMs: number | null;
  /** ISO-8601 time of the probe. */
  at: string;
  /** Optional service fingerprint (`ssh`, `http`, `postgres`, …). */
  service?: string;
  /** The whole fingerprint where the observer has it in-process; on the wire only `service` (its name) travels. */
  fingerprint?: Fingerprint;
}

export type FindingKind =
  | 'moved'
  | 'missing'
  | 'unreachable'
  | 'undeclared'
  | 'unobserved'
  // Three-way kinds: declared (IaC) vs configured (cloud API, `scan --live`) vs observed.
  | 'config-drift'
  | 'unmanaged-rule'
  | 'missing-rule'
  | 'stale-rule'
  // The declared port answers, but with another protocol than the IaC expects.
  | 'wrong-service';
export type Severity = 'low' | 'medium' | 'high';

export interface Acknowledgement {
  by: string;
  reason: string;
  at: string;
  expiresAt: string | null;
}

export interface Finding {
  /** Stable: `f_` + hash of kind, resource, host, port. */
  id: string;
  kind: FindingKind;
  severity: Severity;
  /** Resource address; for `undeclared`, the resource(s) whose host it is, joined by `, `. */
  resource: string;
  source: SourceLocation | null;
  host: string;
  port: number;
  observedPort?: number;
  /** The observed state of `port`, or null when nothing observed it (`unobserved`). */
  state: PortState | null;
  agent: string | null;
  firstSeen: string;
  lastSeen: string;
  /** Set by the collector when a finding resolved; absent while open. */
  resolvedAt?: string | null;
  message: string;
  suggestion: string;
  ack: Acknowledgement | null;
  /** Three-way findings: the IaC's value, null where the IaC has none. */
  declared?: LayerValue | null;
  /** Three-way findings: the cloud API's value, null where it has none or was not read. */
  configured?: LayerValue | null;
  /** Three-way findings: what answers on the wire, null where nothing was observed or probing was off. */
  observed?: LayerValue | null;
  /** Three-way findings: the live object's id (`sg-…`, a DB identifier, a target group name). */
  liveId?: string | null;
  /** `scan --live-audit`: who last changed the live object (CloudTrail's `userIdentity.arn`), absent when unknown. */
  changedBy?: string;
  /** `scan --live-audit`: when (ISO time of that CloudTrail event). */
  changedAt?: string;
  /** `wrong-service`: the service the IaC expects; `source` is then the line that implies it. */
  expectedService?: ServiceName;
  /** `wrong-service` (and `moved` where fingerprinted): the service that answers on the port. */
  observedService?: string;
}

/** One layer's value of a port or rule: `sources` for security-group rules (CIDRs, `sg-…`, `pl-…`). */
export interface LayerValue {
  port: number;
  toPort?: number;
  protocol: Protocol;
  sources?: string[];
}

export interface DriftSummary {
  resources: number;
  endpoints: number;
  observed: number;
  findings: number;
  byKind: Partial<Record<FindingKind, number>>;
  /** With `scan --live`: how IaC resources and live objects were matched. */
  live?: LiveSummary;
  /** Findings left out by `.portdriftignore` (scan); absent when no ignore file applied. */
  ignored?: number;
}

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

// ---------------------------------------------------------------------------------------------
// Configured model (cloud APIs → what is configured now; shared/live)
// ---------------------------------------------------------------------------------------------

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

/** `portdrift scan|drift --format json`, version 1. */
export interface DriftReport {
  version: 1;
  generatedAt: string;
  summary: DriftSummary;
  findings: Finding[];
}

// ---------------------------------------------------------------------------------------------
// Agent ⇄ collector wire format (docs/wire-format.md)
// ---------------------------------------------------------------------------------------------

/** One host of an agent's plan. The agent resolves `host`, checks scope for every address, then probes. */
export interface PlanTarget {
  host: string;
  /** Declared listen ports, probed first. */
  declared: number[];
  /** The discovery set as a port spec (`top`, `8000-8100`, `all`, `22,80`); may be empty. */
  discovery: string;
  /** Addresses of the resources on this host (for logs and labels). */
  resources: string[];
}

/** `GET /v1/plan` body, version 1. Served with an `ETag` equal to `revision`. */
export interface Plan {
  version: 1;
  agent: string;
  revision: string;
  intervalMs: number;
  targets: PlanTarget[];
  /**
   * The CIDRs of the agent token the plan was served to (null: a token from before scopes,
   * unrestricted). The collector refuses a batch with a record outside them, so the agent probes
   * only where its own scope and this one meet. Absent from collectors older than the field.
   */
  tokenScope?: string[] | null;
}

/**
 * `POST /v1/observations` is NDJSON: one `batch` header line, then any number of `sweep`, `obs`
 * and `listener` records. A sweep says which ports of one address were probed and which of them
 * answered closed (both as port specs), so closed is explicit and never inferred from silence;
 * every other probed port has an `obs` record.
 */
export interface BatchHeader {
  t: 'batch';
  v: 1;
  /** Unique per batch; equals the `Idempotency-Key` header. */
  batchId: string;
  agent: string;
  agentVersion: string;
  planRevision: string | null;
  startedAt: string;
  finishedAt: string;
  /** Batches the agent's spool dropped since it last reported (it was full). */
  spoolDropped: number;
  /** Batches waiting in the agent's spool when this one was sent. */
  spoolDepth: number;
  /**
   * True when the agent read its listeners (--listeners) for this batch: its `listener` records
   * are then its whole view, also when there are none. Absent: listeners were not read, and a
   * batch without `listener` records leaves the collector's view as it was.
   */
  listenerView?: boolean;
}

export interface SweepRecord {
  t: 'sweep';
  host: string;
  /** null when the host could not be resolved (`error` says why). */
  ip: string | null;
  ports: string;
  closed: string;
  at: string;
  error?: string;
}

export interface ObservationRecord {
  t: 'obs';
  host: string;
  ip: string;
  port: number;
  state: PortState;
  rttMs: number | null;
  at: string;
  /** The port's fingerprinted service name (a ServiceName), when the agent fingerprinted it. */
  service?: string;
}

/** A LISTEN socket of the agent's own network namespace, from /proc/net/tcp{,6}. */
export interface ListenerRecord {
  t: 'listener';
  ip: string;
  port: number;
  at: string;
}

export type WireRecord = BatchHeader | SweepRecord | ObservationRecord | ListenerRecord;
