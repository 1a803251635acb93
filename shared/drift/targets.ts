// What `portdrift scan` probes on each host of the declared model
// (docs/design/findings.md#discovery-set): its declared listen ports first, then the discovery set — the curated common
// ports plus the ±10 neighbourhood of every port declared for that host, where a moved service
// usually lands — or, with `--ports`, exactly the given set instead. Only hosts of the model are
// probed; hosts without a checked endpoint but with a resource (a port the IaC could not
// resolve) still get the discovery set, so their shadow services show up as `undeclared`.
import { MAX_PORT, MIN_PORT, TOP_PORTS } from '../ports.js';
import type { DeclaredModel, ServiceName } from '../types.js';
import { compareText, indexModel } from './model-index.js';
import { MOVE_WINDOW } from './moves.js';

/** Structurally the probe engine's ProbeTarget (shared/ cannot import agent/). */
export interface ScanTarget {
  host: string;
  declared: number[];
  discovery: number[];
  /** Declared ports whose IaC names the service that should answer (what `scan` fingerprints by default). */
  expect?: Record<number, ServiceName>;
}

export const NEIGHBOURHOOD = MOVE_WINDOW;

export interface ScanTargetOptions {
  /** Replaces the discovery set (`--ports`). */
  discovery?: readonly number[];
}

export function scanTargets(model: DeclaredModel, options: ScanTargetOptions = {}): ScanTarget[] {
  const index = indexModel(model);
  const out: ScanTarget[] = [];
  for (const h of [...index.hosts.values()].sort((a, b) => compareText(a.host, b.host))) {
    const declared = new Set<number>();
    for (const c of h.checks) for (let p = c.lo; p <= c.hi; p++) declared.add(p);
    const discovery = new Set<number>();
    if (options.discovery) {
      for (const p of options.discovery) discovery.add(p);
    } else {
      for (const p of TOP_PORTS) discovery.add(p);
      for (const c of h.checks) {
        for (let p = Math.max(MIN_PORT, c.lo - NEIGHBOURHOOD); p <= Math.min(MAX_PORT, c.hi + NEIGHBOURHOOD); p++)
          discovery.add(p);
      }
    }
    for (const p of declared) discovery.delete(p);
    const expect: Record<number, ServiceName> = {};
    for (const c of h.checks) {
      if (c.lo === c.hi && c.endpoint.expect && expect[c.lo] === undefined) expect[c.lo] = c.endpoint.expect.service;
    }
    const sorted = { declared: [...declared].sort((a, b) => a - b), discovery: [...discovery].sort((a, b) => a - b) };
    out.push({ host: h.host, ...sorted, ...(Object.keys(expect).length > 0 ? { expect } : {}) });
  }
  return out;
}
