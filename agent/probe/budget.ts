// How many probes may be in flight: the minimum of real budgets on this host (docs/design/probe-engine.md#budgets).
// Every probe in flight holds a file descriptor and an ephemeral port; a window larger than
// either turns into EMFILE / EADDRNOTAVAIL, which the engine survives (requeue and shrink) but
// which costs time. The caller's concurrency is an upper bound, never a target.
import { readdirSync, readFileSync } from 'node:fs';

/** Fds kept for everything else: stdio, logs, the collector connection, DNS, worker pipes. */
export const FD_RESERVE = 64;
/** The window that saturates two cores on RST-heavy sweeps; larger only helps filtered ports. */
export const DEFAULT_WINDOW = 4096;
export const MIN_WINDOW = 8;

export interface Budgets {
  /** RLIMIT_NOFILE soft limit, null when unknown (no /proc). */
  nofile: number | null;
  /** Fds open right now. */
  openFds: number;
  /** Size of net.ipv4.ip_local_port_range, null when unknown. */
  ephemeralPorts: number | null;
  /**
   * Conntrack entries this run may add before the node's table is half full, null when
   * netfilter conntrack is not loaded. Every probe in flight holds an entry (a filtered one
   * for 120 s after it ends), and the table is shared by the whole node (docs/design/probe-engine.md#budgets).
   */
  conntrackHeadroom?: number | null;
}

/** The soft "Max open files" of /proc/self/limits; null when not Linux or unlimited. */
export function readNofileLimit(limits = '/proc/self/limits'): number | null {
  try {
    const line = readFileSync(limits, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

export function readEphemeralPorts(file = '/proc/sys/net/ipv4/ip_local_port_range'): number | null {
  try {
    const [lo, hi] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return lo !== undefined && hi !== undefined && hi >= lo ? hi - lo + 1 : null;
  } catch {
    return null;
  }
}

export function countOpenFds(dir = '/proc/self/fd'): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

export function readConntrackHeadroom(dir = '/proc/sys/net/netfilter'): number | null {
  try {
    const count = Number(readFileSync(`${dir}/nf_conntrack_count`, 'utf8').trim());
    const max = Number(readFileSync(`${dir}/nf_conntrack_max`, 'utf8').trim());
    return Number.isFinite(count) && Number.isFinite(max) && max > 0 ? Math.max(0, Math.floor(max / 2) - count) : null;
  } catch {
    return null;
  }
}

export function readBudgets(nofileLimit?: number): Budgets {
  return {
    nofile: nofileLimit ?? readNofileLimit(),
    openFds: countOpenFds(),
    ephemeralPorts: readEphemeralPorts(),
    conntrackHeadroom: readConntrackHeadroom(),
  };
}

/**
 * The global window: min(caller's cap or the default, fds left after the reserve, half the
 * ephemeral range — other programs on the host need ports too —, the conntrack headroom, and
 * the probes there are).
 * Never below MIN_WINDOW unless there are fewer probes; when the fd budget itself is below
 * MIN_WINDOW the engine still runs with what there is (and requeues on EMFILE).
 */
export function windowSize(b: Budgets, probes: number, concurrency?: number): number {
  let w = concurrency ?? DEFAULT_WINDOW;
  if (b.nofile !== null) w = Math.min(w, Math.max(1, b.nofile - b.openFds - FD_RESERVE));
  if (b.ephemeralPorts !== null) w = Math.min(w, Math.max(MIN_WINDOW, Math.floor(b.ephemeralPorts / 2)));
  if (b.conntrackHeadroom != null) w = Math.min(w, Math.max(MIN_WINDOW, b.conntrackHeadroom));
  return Math.max(1, Math.min(w, probes));
}
