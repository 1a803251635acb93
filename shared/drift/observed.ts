// The observed side: fresh observations grouped by host and port, and what several of them
// (several addresses of one host, several agents) say together.
import type { Observation, PortState } from '../types.js';
import type { DeclaredIndex } from './model-index.js';

/** One observation, or several for the same host and port (addresses × agents). */
export type PortObservations = Observation | Observation[];

export type HostPorts = Map<number, PortObservations>;

/**
 * Group the observations of hosts the model knows; the others are ignored (an agent may cover
 * more than the IaC declares). With a freshness window, older observations are dropped.
 * One pass, O(observations).
 */
export function groupObservations(
  index: DeclaredIndex,
  observations: readonly Observation[],
  cutoff: Cutoff | null,
): Map<string, HostPorts> {
  const out = new Map<string, HostPorts>();
  for (const o of observations) {
    if (!index.hosts.has(o.host)) continue;
    if (cutoff && !cutoff.fresh(o.at)) continue;
    let ports = out.get(o.host);
    if (!ports) out.set(o.host, (ports = new Map()));
    const prev = ports.get(o.port);
    if (prev === undefined) ports.set(o.port, o);
    else if (Array.isArray(prev)) prev.push(o);
    else ports.set(o.port, [prev, o]);
  }
  return out;
}

export const asList = (p: PortObservations): Observation[] => (Array.isArray(p) ? p : [p]);

/**
 * Observations are fresh when `at >= now - freshnessMs`. ISO times in the canonical UTC form
 * (`2026-11-24T09:00:00.000Z`, what every part of portdrift writes) compare as strings, which
 * keeps a million checks cheap; any other form is parsed. An unparseable time is not fresh.
 */
export interface Cutoff {
  fresh(at: string): boolean;
}

const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function cutoffFor(nowMs: number, freshnessMs: number | undefined): Cutoff | null {
  if (freshnessMs === undefined || !Number.isFinite(freshnessMs)) return null;
  const limitMs = nowMs - freshnessMs;
  const limit = new Date(limitMs).toISOString();
  const canonicalLimit = CANONICAL.test(limit);
  return {
    fresh(at: string): boolean {
      if (canonicalLimit && at.length === 24 && at.charCodeAt(23) === 90 /* Z */ && at.charCodeAt(10) === 84 /* T */)
        return at >= limit;
      const t = Date.parse(at);
      return Number.isFinite(t) && t >= limitMs;
    },
  };
}

/**
 * What one host:port is, over every fresh observation of it.
 * `open`: open on at least one address (a service that answers on any of the host's addresses
 * listens; a partial answer — open on IPv4, closed on IPv6 — is not drift of the declared port).
 * `closed`: every observation is closed, on every address: conclusive, the port does not listen.
 * `inconclusive`: nothing open, and at least one observation filtered or unreachable: whether it
 * listens is unknown (closed on one address and filtered on another is still unknown).
 */
export interface Verdict {
  verdict: 'open' | 'closed' | 'inconclusive';
  /** The state a finding reports: closed, or filtered / unreachable for inconclusive. */
  state: PortState;
  /** The most recent observation among those that decided the verdict. */
  latest: Observation;
  list: Observation[];
}

export function verdictOf(p: PortObservations): Verdict {
  const list = asList(p);
  let open: Observation | undefined;
  let latest: Observation | undefined;
  let lastInconclusive: Observation | undefined;
  let closed = 0;
  for (const o of list) {
    if (o.state === 'open') {
      if (!open || o.at > open.at) open = o;
    } else if (o.state === 'closed') closed++;
    else if (!lastInconclusive || o.at > lastInconclusive.at) lastInconclusive = o;
    if (!latest || o.at > latest.at) latest = o;
  }
  if (open) return { verdict: 'open', state: 'open', latest: open, list };
  if (closed === list.length) return { verdict: 'closed', state: 'closed', latest: latest!, list };
  // The finding reports the state of the latest filtered / unreachable observation: what an
  // agent saw last among the answers that leave the question open.
  return { verdict: 'inconclusive', state: lastInconclusive!.state, latest: lastInconclusive!, list };
}
