// What the drift engine is given from the store: the latest result per (agent, host, ip, port),
// plus explicit `closed` results materialised from sweep records for the DECLARED ports only. A
// sweep carries its closed ports as a spec; expanding every closed port of a 65535-port sweep
// would cost memory and say nothing (a closed undeclared port is not drift), while a declared
// port the sweep found closed is exactly what `missing` and `moved` need.
import type { DeclaredModel, Observation } from '../../shared/types.js';
import { portSpecRuns } from '../../shared/ports.js';
import type { SweepState } from '../store/types.js';

/** Runs of a stored sweep's port spec (`1-21,23,25-79`), not expanded; specs were validated at ingest. */
export const specRuns = (spec: string): Array<[number, number]> => portSpecRuns(spec, { numeric: true });

function inRuns(runs: Array<[number, number]>, port: number): boolean {
  for (const [lo, hi] of runs) if (port >= lo && port <= hi) return true;
  return false;
}

/** Declared listen ports per host (a range endpoint contributes its first 256 ports at most). */
export function declaredPorts(model: DeclaredModel): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const e of model.endpoints) {
    if (e.role !== 'listen' || e.host === null || e.protocol === 'udp') continue;
    let set = out.get(e.host);
    if (!set) out.set(e.host, (set = new Set()));
    const hi = Math.min(e.toPort ?? e.port, e.port + 255);
    for (let p = e.port; p <= hi; p++) set.add(p);
  }
  return out;
}

export function driftObservations(
  model: DeclaredModel,
  stored: readonly Observation[],
  sweeps: readonly SweepState[],
): Observation[] {
  const declared = declaredPorts(model);
  const out: Observation[] = [...stored];
  const have = new Set(stored.map((o) => `${o.agent}\u0000${o.host}\u0000${o.ip}\u0000${o.port}`));
  const runsBySpec = new Map<string, Array<[number, number]>>();
  for (const s of sweeps) {
    if (s.ip === null || s.closed === '') continue;
    const ports = declared.get(s.host);
    if (!ports) continue;
    let runs = runsBySpec.get(s.closed);
    if (!runs) runsBySpec.set(s.closed, (runs = specRuns(s.closed)));
    for (const port of ports) {
      if (!inRuns(runs, port)) continue;
      if (have.has(`${s.agent}\u0000${s.host}\u0000${s.ip}\u0000${port}`)) continue;
      out.push({ agent: s.agent, host: s.host, ip: s.ip, port, state: 'closed', rttMs: null, at: s.at });
    }
  }
  return out;
}
