// The declared side of the drift engine, indexed by host: which listen ports each host must
// have, and which resources a host belongs to (for `undeclared` attribution). Built once per
// computation in O(resources + endpoints).
import type { DeclaredEndpoint, DeclaredModel } from '../types.js';

/** One declared listen endpoint to check: a single port (lo === hi) or an inclusive range. */
export interface Check {
  endpoint: DeclaredEndpoint;
  host: string;
  lo: number;
  hi: number;
}

export interface HostIndex {
  host: string;
  /** Every resource placed on this host by IaC, sorted (state, targets file, derivation). */
  resources: string[];
  checks: Check[];
  /** Single declared listen ports of this host. */
  singles: Set<number>;
  /** Declared listen ranges of this host, as [lo, hi]. */
  ranges: Array<[number, number]>;
}

export interface DeclaredIndex {
  hosts: Map<string, HostIndex>;
  /** Listen endpoints that are checked: TCP, with a host (what `summary.endpoints` counts). */
  checks: number;
}

/**
 * Only `listen` endpoints over TCP with a known host are checked: `allow` rules say what a
 * firewall permits, not what listens; a null host cannot be probed (extract lists it as not
 * resolved); UDP cannot be seen by a TCP connect probe. Duplicate declarations of one
 * (resource, host, port range) collapse into one check, so one drift is one finding.
 */
export function isChecked(e: DeclaredEndpoint): e is DeclaredEndpoint & { host: string } {
  return e.role === 'listen' && e.protocol === 'tcp' && e.host !== null;
}

export function isDeclared(h: HostIndex, port: number): boolean {
  if (h.singles.has(port)) return true;
  for (const [lo, hi] of h.ranges) if (port >= lo && port <= hi) return true;
  return false;
}

export function indexModel(model: DeclaredModel): DeclaredIndex {
  const hosts = new Map<string, HostIndex>();
  const resourceSets = new Map<string, Set<string>>();
  const get = (host: string): HostIndex => {
    let h = hosts.get(host);
    if (!h) {
      h = { host, resources: [], checks: [], singles: new Set(), ranges: [] };
      hosts.set(host, h);
      resourceSets.set(host, new Set());
    }
    return h;
  };
  for (const r of model.resources) for (const host of r.hosts) resourceSets.get(get(host).host)!.add(r.address);
  const seen = new Set<string>();
  let checks = 0;
  for (const e of model.endpoints) {
    if (e.host !== null) resourceSets.get(get(e.host).host)!.add(e.resource);
    if (!isChecked(e)) continue;
    const lo = e.port;
    const hi = e.toPort !== undefined && e.toPort > e.port ? e.toPort : e.port;
    const key = `${e.resource}\u0000${e.host}\u0000${lo}\u0000${hi}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const h = get(e.host);
    h.checks.push({ endpoint: e, host: e.host, lo, hi });
    if (lo === hi) h.singles.add(lo);
    else h.ranges.push([lo, hi]);
    checks++;
  }
  for (const [host, set] of resourceSets) hosts.get(host)!.resources = [...set].sort(compareText);
  return { hosts, checks };
}

/** Code-unit order: deterministic on every machine, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
