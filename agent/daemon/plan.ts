// The plan the collector serves (GET /v1/plan), checked before use: the agent acts on nothing
// it has not validated, and a plan names hosts to connect to. Also turns plan targets into the
// probe engine's target specs.
import { parsePortSpec, isPort } from '../../shared/ports.js';
import { PortdriftError } from '../../shared/errors.js';
import { checkCidr, parseAddress, parseCidr } from '../../shared/scope.js';
import { serviceName } from '../../shared/services.js';
import type { Plan, PlanTarget, ServiceName } from '../../shared/types.js';

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
    if (t.expect !== undefined) {
      if (!isObj(t.expect)) throw bad(`targets[${i}].expect: not an object of port → service`);
      for (const [port, name] of Object.entries(t.expect)) {
        if (!isPort(Number(port))) throw bad(`targets[${i}].expect: ${JSON.stringify(port.slice(0, 20))} is not a port`);
        if (typeof name !== 'string' || name.length > 64) throw bad(`targets[${i}].expect.${port}: not a service name`);
      }
    }
  });
  const ts = value.tokenScope;
  if (ts !== undefined && ts !== null) {
    if (!Array.isArray(ts)) throw bad('tokenScope: not a list of CIDRs');
    ts.forEach((c, i) => {
      const problem = typeof c === 'string' ? checkCidr(c) : 'not a string';
      if (problem) throw bad(`tokenScope[${i}]: ${problem}`);
    });
  }
  return value as unknown as Plan;
}

export interface TargetSpec {
  host: string;
  declared: number[];
  discovery: number[];
  /** Declared ports whose IaC names a service (port → name): fingerprinted when open. */
  expect?: Record<number, ServiceName>;
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
      problems.push(`${t.host}: invalid discovery spec (probing its declared ports only): ${(err as Error).message}`);
    }
    // A service name this agent does not know (a newer collector's) is no reason to drop the
    // host: the port is still probed, just not fingerprinted with that hint.
    const expect: Record<number, ServiceName> = {};
    for (const [port, name] of Object.entries(t.expect ?? {})) {
      const known = serviceName(name);
      if (known) expect[Number(port)] = known;
      else problems.push(`${t.host}: port ${port} expects ${JSON.stringify(name)}, a service this agent cannot name`);
    }
    return { host: t.host, declared, discovery, ...(Object.keys(expect).length > 0 ? { expect } : {}) };
  });
  return { specs, problems };
}

/**
 * The refusal of the plan's token scope, applied on top of the agent's own scope to every
 * resolved address: the collector refuses a whole batch with a record outside its token's CIDRs,
 * and a refused batch would be probed for nothing (or, before the agent dropped such batches,
 * hold every later one in the spool). Containment only: the special ranges are the agent's own
 * scope's rule. No token scope (null, or a collector older than the field): nothing refused.
 */
export function tokenScopeRefusal(tokenScope: readonly string[] | null | undefined): (ip: string) => string | null {
  if (tokenScope === null || tokenScope === undefined) return () => null;
  const cidrs = tokenScope.map((c) => parseCidr(c));
  const reason = `outside the agent token's scope (${tokenScope.join(', ')})`;
  return (ip) => {
    const a = parseAddress(ip);
    const inside = a !== null && cidrs.some((c) => {
      if (c.family !== a.family) return false;
      const hostBits = BigInt((c.family === 4 ? 32 : 128) - c.prefix);
      return a.value >> hostBits === c.network >> hostBits;
    });
    return inside ? null : reason;
  };
}
