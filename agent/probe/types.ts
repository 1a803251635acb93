// The probe engine's public types (docs/design/probe-engine.md). agent/daemon/loop.ts (SweepRun,
// ProbeFn), `portdrift probe` and `portdrift scan` consume them; HostSweep is assignable to
// agent/daemon/batch.ts SweepResult and ProbeTarget is agent/daemon/plan.ts TargetSpec.
import type { ProbeResult, ProbeSummary, ServiceName } from '../../shared/types.js';
import type { FingerprintOptions } from '../fingerprint/runner.js';

/** One host to probe: declared ports first, then discovery (same shape as agent/daemon/plan.ts TargetSpec). */
export interface ProbeTarget {
  host: string;
  declared: number[];
  discovery: number[];
  /** The service each port should have (port → name; aliases such as `postgresql` allowed): its hello goes first. */
  expect?: Readonly<Record<number, ServiceName | string>>;
}

/**
 * One probed address of one host. `results` holds every probed port's result, closed included,
 * in port order; `ports` lists exactly those ports. A host whose DNS lookup failed is one sweep
 * with ip null, error set, no results. An address that could not be probed at all (EINVAL: an
 * IPv6 link-local address without a zone) has error set and no results.
 */
export interface HostSweep {
  host: string;
  ip: string | null;
  error?: string;
  ports: number[];
  results: ProbeResult[];
}

export interface ProbeRun {
  /** Host order as given, then address order (IPv4 before IPv6, each as the resolver returned them). */
  sweeps: HostSweep[];
  /** Counts over all results; seconds = wall time of the run. */
  summary: ProbeSummary;
  /** Addresses refused by `admit`: never probed. */
  skipped: { host: string; ip: string; reason: string }[];
  /** Addresses that `exclude` left out (absent when no `exclude` was given). */
  excluded?: { host: string; ip: string }[];
}

export interface ProbeOptions {
  /** Abort: stop starting probes, return what was probed (agent SIGTERM). */
  signal?: AbortSignal;
  /** Upper bound on the global window of probes in flight (default: sized from budgets). */
  concurrency?: number;
  /** Connect timeout cap in ms (default 1000); per-host timeouts adapt below it from measured RTT. */
  timeoutMs?: number;
  /** Extra passes for filtered probes only (default 1; deepened by up to 2 where retries pay off). */
  retries?: number;
  /** Most new connects per second per address (default 250000: a runaway bound; the per-address cwnd is what paces). */
  perHostRate?: number;
  /** Most new connects per second over all addresses together (`--rate`); default: no such cap. */
  rate?: number;
  /**
   * Addresses left out on purpose (`--exclude`): true drops the address silently (not probed,
   * not an error), listed in ProbeRun.excluded. Checked after DNS, before `admit`.
   */
  exclude?: (ip: string, host: string) => boolean;
  /** Scope check after DNS for every address; a string is the reason it is refused. */
  admit?: (ip: string, host: string) => string | null;
  onProgress?: (done: number, total: number) => void;
  /**
   * Each result that `results` will hold, once, as soon as it is final: open and closed as they
   * answer, filtered and unreachable when the sweep ends, open ones after their fingerprint when
   * fingerprinting (agent/probe/stream.ts). For output written while the sweep runs.
   */
  onResult?: (r: ProbeResult) => void;
  /** RLIMIT_NOFILE soft limit if known (otherwise read from /proc/self/limits). */
  nofileLimit?: number;
  /**
   * false: leave closed results out of `results` (still counted in the summary and listed in
   * `ports`). For callers that print only the non-closed ones (`portdrift probe` without --all):
   * a 65535-port sweep then builds a handful of objects instead of 65535. Default true.
   */
  closedResults?: boolean;
  /** Event-loop threads to split large sweeps over (default: one per core for large sweeps, at most 2). */
  threads?: number;
  /**
   * Fingerprint every open port after the sweep (agent/fingerprint): protocol banners and
   * read-only hellos, bounded in time, bytes and concurrency. Off by default; when off the run
   * does exactly what it did without it.
   */
  fingerprint?: boolean | FingerprintOptions;
  /**
   * Which open ports `fingerprint` names. `open` (default): every one. `expected`: the ports
   * whose target `expect`s a service, and the open undeclared ports within the move window of
   * such a port that is not open (where it may have moved: `moved` pairing prefers the candidate
   * that answers the expected service). The agent's choice: one round trip per such port.
   */
  fingerprintPorts?: 'open' | 'expected';
}
