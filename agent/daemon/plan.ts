// The plan the collector serves (GET /v1/plan), checked before use: the agent acts on nothing
// it has not validated, and a plan names hosts to connect to. Also turns plan targets into the
// probe engine's target specs.
import { parsePortSpec, isPort } from '../../shared/ports.js';
import { PortdriftError } from '../../shared/errors.js';
import { checkCidr, parseAddress, parseCidr } from '../../shared/scope.js';
import { serviceName } from '../../shared/services.js';
import type { Plan, PlanTarget, ServiceName } from '../../shared/types.js';
import { check, z } from '../../shared/validate/index.js';

const NOT_STRING = 'not a string';
const target = z.looseObject(
  {
    host: z.string({ error: NOT_STRING }).min(1, { error: NOT_STRING }),
    declared: z.array(z.unknown().refine(isPort), { error: 'not a list of ports' }),
    discovery: z.string({ error: 'not a port spec' }),
    resources: z.array(z.string(), { error: 'not a list of strings' }).optional(),
    // Port → service name; a name this agent does not know is kept (planToTargets skips it).
    expect: z
      .unknown()
      .superRefine((v, ctx) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) {
          ctx.addIssue({ code: 'custom', input: v, message: 'not an object of port → service' });
          return;
        }
        for (const [port, name] of Object.entries(v)) {
          if (!isPort(Number(port))) {
            ctx.addIssue({
              code: 'custom',
              input: port,
              message: `${JSON.stringify(port.slice(0, 20))} is not a port`,
            });
          } else if (typeof name !== 'string' || name.length > 64) {
            ctx.addIssue({ code: 'custom', input: name, path: [port], message: 'not a service name' });
          }
        }
      })
      .optional(),
  },
  { error: 'not an object' },
);
const cidr = z.string({ error: NOT_STRING }).superRefine((c, ctx) => {
  const problem = checkCidr(c);
  if (problem) ctx.addIssue({ code: 'custom', input: c, message: problem });
});
/** Fields the agent does not know are kept, not refused: a newer collector may send more. */
const planSchema = z.looseObject(
  {
    version: z.literal(1, { error: (iss) => `${JSON.stringify(iss.input)} is not 1` }),
    agent: z.string({ error: NOT_STRING }),
    revision: z.string({ error: NOT_STRING }).min(1, { error: NOT_STRING }),
    intervalMs: z.number({ error: 'not a positive number' }).refine((v) => Number.isFinite(v) && v > 0, {
      error: 'not a positive number',
    }),
    targets: z.array(target, { error: 'not a list' }),
    tokenScope: z.array(cidr, { error: 'not a list of CIDRs' }).nullish(),
    checkIntervalMs: z
      .number({ error: 'not a positive number' })
      .refine((v) => Number.isFinite(v) && v > 0, { error: 'not a positive number' })
      .optional(),
  },
  { error: 'not a JSON object' },
);

/** At most this many problems in the message (a plan of 10,000 bad targets is one short error). */
const SHOWN = 5;

/** Validate a decoded plan body; throws PD_COLLECTOR_RESPONSE naming every bad field. */
export function validatePlan(value: unknown): Plan {
  const r = check(planSchema, value);
  if (r.ok) return value as Plan;
  const more = r.problems.length > SHOWN ? `; and ${r.problems.length - SHOWN} more` : '';
  const message = `the collector sent an invalid plan: ${r.problems.slice(0, SHOWN).join('; ')}${more}`;
  throw new PortdriftError('PD_COLLECTOR_RESPONSE', message, { details: { problems: r.problems } });
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
      discovery = parsePortSpec(t.discovery, { field: `${t.host}: discovery` }).filter((p) => !d.has(p));
    } catch (err) {
      problems.push((err as Error).message);
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
    const inside =
      a !== null &&
      cidrs.some((c) => {
        if (c.family !== a.family) return false;
        const hostBits = BigInt((c.family === 4 ? 32 : 128) - c.prefix);
        return a.value >> hostBits === c.network >> hostBits;
      });
    return inside ? null : reason;
  };
}
