// Which open, undeclared port replaces which closed, declared one (`moved`). The contract:
// prefer the nearest candidate, and one whose service fingerprint matches; a candidate explains
// at most one declared port. Candidates are "nearby" — within MOVE_WINDOW of the declared port,
// the neighbourhood that the discovery set probes — unless their fingerprint is the service the
// declared port expects (the IaC's expectation, an RDS engine or a Compose image, where it says
// one, else the port's usual service), which is evidence enough at any distance. A fingerprint of a different
// known service (sshd on 22 next to a closed 5432… or 20) never counts as the moved service.
//
// Assignment is greedy over all admissible pairs in a total order (fingerprint match first,
// then distance, then declared port, then candidate port): deterministic, and for the usual case
// of one or two moves per host the same as an optimal matching.
import type { Observation } from '../types.js';
import { serviceRelation } from './services.js';

export const MOVE_WINDOW = 10;

export interface Candidate {
  port: number;
  service: string | undefined;
  open: Observation[];
}

interface Pair {
  declared: number;
  candidate: Candidate;
  match: boolean;
  distance: number;
}

/**
 * `candidates` sorted by port; `expected`: the service the IaC expects on a declared port, where
 * it says one (else the port's usual service counts). Returns declared port → the candidate that replaces it.
 */
export function assignMoves(
  closedPorts: readonly number[],
  candidates: readonly Candidate[],
  expected: (port: number) => string | undefined = () => undefined,
): Map<number, Candidate> {
  const out = new Map<number, Candidate>();
  if (closedPorts.length === 0 || candidates.length === 0) return out;
  const fingerprinted = candidates.filter((c) => c.service !== undefined);
  const pairs: Pair[] = [];
  for (const d of closedPorts) {
    const considered = new Set<Candidate>();
    // Nearby candidates: a binary search for the window's start, then a walk to its end.
    let lo = 0;
    let hi = candidates.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (candidates[mid]!.port < d - MOVE_WINDOW) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < candidates.length && candidates[i]!.port <= d + MOVE_WINDOW; i++)
      considered.add(candidates[i]!);
    const want = expected(d);
    for (const c of fingerprinted) if (serviceRelation(d, c.service, want) === 'match') considered.add(c);
    for (const c of considered) {
      const rel = serviceRelation(d, c.service, want);
      if (rel === 'conflict') continue;
      pairs.push({ declared: d, candidate: c, match: rel === 'match', distance: Math.abs(c.port - d) });
    }
  }
  pairs.sort(
    (a, b) =>
      Number(b.match) - Number(a.match) ||
      a.distance - b.distance ||
      a.declared - b.declared ||
      a.candidate.port - b.candidate.port,
  );
  const used = new Set<Candidate>();
  for (const p of pairs) {
    if (out.has(p.declared) || used.has(p.candidate)) continue;
    out.set(p.declared, p.candidate);
    used.add(p.candidate);
  }
  return out;
}
