// The agent ⇄ collector wire format (docs/wire-format.md): the plan and the observation batches.
import type { PortState, ServiceName } from './probe.js';

/** One host of an agent's plan. The agent resolves `host`, checks scope for every address, then probes. */
export interface PlanTarget {
  host: string;
  /** Declared listen ports, probed first. */
  declared: number[];
  /** The discovery set as a port spec (`top`, `8000-8100`, `all`, `22,80`); may be empty. */
  discovery: string;
  /** Addresses of the resources on this host (for logs and labels). */
  resources: string[];
  /**
   * Declared ports whose IaC names the service that should answer (port → service, `5432` →
   * `postgres`): the agent fingerprints these when open, expected hello first, so the collector
   * can raise `wrong-service`. Absent: nothing expected (or a collector older than the field).
   */
  expect?: Record<string, ServiceName>;
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
  /**
   * How often the agent re-probes the declared ports between sweeps (one connect each), and
   * re-probes a host at once when one of them changed; a change the re-probe confirms is sent
   * with `confirmed` sweeps, which this collector accepts without waiting for damping cycles.
   * Absent: a collector older than the field (or the check switched off): no checks, no flag.
   */
  checkIntervalMs?: number;
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
  /** The agent's pod when it runs in Kubernetes (Downward API): maps its listeners to a workload. */
  pod?: PodIdentity;
}

/** What an agent in a Kubernetes pod knows of its pod (Downward API env and labels file). */
export interface PodIdentity {
  name?: string;
  namespace?: string;
  ip?: string;
  node?: string;
  labels?: Record<string, string>;
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
  /**
   * This address was re-probed at once because a declared port changed since the agent's
   * previous probe of it, and the change held: the collector takes it without damping cycles.
   */
  confirmed?: true;
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
