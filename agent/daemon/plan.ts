// The plan the collector serves (GET /v1/plan), checked before use: the agent acts on nothing
// it has not validated, and a plan names hosts to connect to. Also turns plan targets into the
// probe engine's target specs.
import { parsePortSpec, isPort } from '../../shared/ports.js';
import { PortdriftError } from '../../shared/errors.js';
import type { Plan, PlanTarget } from '../../shared/types.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validate a decoded plan body; throws PD_COLLECTOR_RESPONSE naming the first bad field. */
export function validatePlan(value: unknown): Plan {
  const bad = (why: string) => new PortdriftError('PD_COLLECTOR_RESPONSE', `the collector sent an invalid plan: ${why}`);
  if (!isObj(value)) throw bad('not a JSON object');
  if (value.version !== 1) throw bad(`version ${JSON.stringify(value.version)} is not 1`);
  if (typeof value.agent !== 'string') throw bad('agent: not a string');
  if (typeof value.revision !== 'string' || value.revision === '') throw bad('revision: not a string');
  if (typeof value.intervalMs !== 'number' || !Number.isFinite(value.intervalMs) || value.intervalMs <= 0) throw bad('intervalMs: not a positive number');
  if (!Array.isArray(value.targets)) throw bad('targets: not a list');
  value.targets.forEach((t, i) => {
    if (!isObj(t)) throw bad(`targets[${i}]: not an object`);
    if (typeof t.host !== 'string' || t.host === '') throw bad(`targets[${i}].host: not a string`);
    if (!Array.isArray(t.declared) || !t.declared.every(isPort)) throw bad(`targets[${i}].declared: not a list of ports`);
    if (typeof t.discovery !== 'string') throw bad(`targets[${i}].discovery: not a port spec`);
    if (t.resources !== undefined && (!Array.isArray(t.resources) || !t.resources.every((r) => typeof r === 'string'))) throw bad(`targets[${i}].resources: not a list of strings`);
  });
  return value as unknown as Plan;
}

export interface TargetSpec {
  host: string;
  declared: number[];
  discovery: number[];
}

/**
 * Plan targets → probe specs: discovery without the declared ports (those go first anyway). A
 * target whose discovery spec does not parse keeps its declared ports; the problem is returned
 * for the log rather than dropping the host.
 */
export function planToTargets(targets: readonly PlanTarget[]): { specs: TargetSpec[]; problems: string[] } {
  const problems: string[] = [];
  const specs = targets.map((t) => {
    const declared = [...new Set(t.declared)].sort((a, b) => a - b);
    let discovery: number[] = [];
    try {
      const d = new Set(declared);
      discovery = parsePortSpec(t.discovery).filter((p) => !d.has(p));
    } catch (err) {
      problems.push(`${t.host}: ${(err as Error).message}`);
    }
    return { host: t.host, declared, discovery };
  });
  return { specs, problems };
}
