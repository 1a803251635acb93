// What the model in force covers: the hosts it names (records of other hosts are dropped at
// ingest), and the problems a reload brings that the model in force did not have.
import type { DeclaredModel } from '../../shared/types.js';
import type { ParsedBatch } from '../store/types.js';
import type { LoadedModel } from './model.js';

/** Problems of a reload that the model in force did not have (none on the first load). */
export function newProblems(current: LoadedModel | null, next: LoadedModel): DeclaredModel['problems'] {
  if (!current) return [];
  const known = new Set(current.model.problems.map((p) => `${p.file}\u0000${p.message}`));
  // A warning (a repeated YAML key) loses nothing: it never refuses a reload.
  return next.model.problems.filter((p) => p.severity !== 'warning' && !known.has(`${p.file}\u0000${p.message}`));
}

/** The batch without the sweep and obs records of hosts outside `hosts` (the same batch when none is). */
export function inModel(batch: ParsedBatch, hosts: ReadonlySet<string>): ParsedBatch {
  const sweeps = batch.sweeps.filter((s) => hosts.has(s.host));
  const observations = batch.observations.filter((o) => hosts.has(o.host));
  const outside = batch.sweeps.length - sweeps.length + batch.observations.length - observations.length;
  return outside === 0 ? batch : { ...batch, sweeps, observations, outsideModel: outside };
}

/** Every host the model knows (resources' hosts and endpoints' hosts). */
export function modelHosts(model: DeclaredModel): Set<string> {
  const hosts = new Set<string>();
  for (const r of model.resources) for (const h of r.hosts) hosts.add(h);
  for (const e of model.endpoints) if (e.host !== null) hosts.add(e.host);
  return hosts;
}
