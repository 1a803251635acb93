// Observations and findings: what the drift engine compares and what it reports.
import type { Protocol, SourceLocation } from './declared.js';
import type { LiveSummary } from './live.js';
import type { Fingerprint, PortState, ServiceName } from './probe.js';

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

/** `portdrift scan|drift --format json`, version 1. */
export interface DriftReport {
  version: 1;
  generatedAt: string;
  summary: DriftSummary;
  findings: Finding[];
}
