// The plan one agent gets (GET /v1/plan): the declared hosts inside the agent's scope and its
// token's, their declared listen ports first, and the discovery set (the curated TOP_PORTS plus
// the ±N neighbourhood of every declared port, or whatever the collector is configured to use)
// as a port spec. Scope: an IP-literal host is kept only when it lies inside both; a DNS name is
// kept, because only the agent can resolve it from where it stands — the agent checks every
// resolved address against its scope itself and never probes outside it, and the collector
// refuses records whose address lies outside the token's scope. The plan carries the token's
// scope (`tokenScope`) so that the agent can keep its probing, and so its batches, inside it.
// Declared ports whose IaC names a service carry it (`expect`): the agent fingerprints them.
// The revision is a hash of the plan's content, so the ETag changes exactly when the plan does.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { MAX_PORT, MIN_PORT, formatPortSpec, parsePortSpec } from '../../shared/ports.js';
import { makeAdmit } from '../../shared/scope.js';
import { recordScope } from '../ingest/scope.js';
import type { DeclaredModel, Plan, PlanTarget, ServiceName } from '../../shared/types.js';

export interface PlanOptions {
  intervalMs: number;
  /** Base discovery set as a port spec (`top`, `all`, `22,80`, or '' for none). */
  discovery: string;
  /** Neighbourhood probed around every declared port (±N). */
  neighbourhood: number;
}

export function planTargets(model: DeclaredModel, o: PlanOptions): PlanTarget[] {
  const base = parsePortSpec(o.discovery);
  const byHost = new Map<
    string,
    { declared: Set<number>; resources: Set<string>; expect?: Map<number, ServiceName> }
  >();
  for (const e of model.endpoints) {
    if (e.role !== 'listen' || e.host === null || e.protocol === 'udp') continue;
    let t = byHost.get(e.host);
    if (!t) byHost.set(e.host, (t = { declared: new Set(), resources: new Set() }));
    t.declared.add(e.port);
    t.resources.add(e.resource);
    // One hint per port is all the agent needs (its hello goes first); the drift engine still
    // checks what answers against each endpoint's own expectation.
    if (e.expect && e.toPort === undefined && !t.expect?.has(e.port)) {
      t.expect = t.expect ?? new Map();
      t.expect.set(e.port, e.expect.service);
    }
  }
  // Hosts known only from rules or resources still get discovery: undeclared ports there count.
  for (const r of model.resources)
    for (const h of r.hosts)
      if (!byHost.has(h)) byHost.set(h, { declared: new Set(), resources: new Set([r.address]) });
  for (const r of model.resources) for (const h of r.hosts) byHost.get(h)!.resources.add(r.address);
  const out: PlanTarget[] = [];
  for (const [host, t] of [...byHost].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const declared = [...t.declared].sort((a, b) => a - b);
    const discovery = new Set(base);
    for (const p of declared)
      for (let q = Math.max(MIN_PORT, p - o.neighbourhood); q <= Math.min(MAX_PORT, p + o.neighbourhood); q++)
        discovery.add(q);
    for (const p of declared) discovery.delete(p);
    const expect = t.expect ? { expect: Object.fromEntries([...t.expect].sort(([a], [b]) => a - b)) } : {};
    out.push({ host, declared, discovery: formatPortSpec(discovery), resources: [...t.resources].sort(), ...expect });
  }
  return out;
}

/**
 * The agent's plan: targets inside both the scope the agent sends and its token's scope (CIDRs
 * already validated; a null token scope is an agent token from before scopes: unrestricted). The
 * agent's scope can narrow the plan, never widen it past its token's: a stolen token of one
 * subnet learns nothing of another subnet's IP-literal hosts and their declared ports.
 */
export function planFor(
  agent: string,
  targets: readonly PlanTarget[],
  scope: readonly string[],
  intervalMs: number,
  tokenScope: readonly string[] | null = null,
  checkIntervalMs = 0,
): Plan {
  const admit = scope.length > 0 ? makeAdmit({ scope }) : null;
  // The token's scope as the records are checked against it: containment only (the special
  // ranges are the agent's own rule, applied with its scope above and again when it probes).
  const allowed = recordScope(agent, tokenScope);
  const inside = (host: string) =>
    (admit === null || admit(host) === null) && (allowed === null || allowed.admits(host));
  const kept = targets.filter((t) => isIP(t.host) === 0 || inside(t.host));
  // The token's scope goes out with the plan (the agent narrows its probing to it, so no batch
  // of its is refused) and into the revision: a token re-scoped under the same name must not be
  // answered 304 with the old scope.
  const token = tokenScope === null ? null : [...tokenScope];
  // The check interval only when on: a plan without it hashes (and reads) as before the field.
  const check = checkIntervalMs > 0 ? [checkIntervalMs] : [];
  const content = JSON.stringify([intervalMs, kept, token, ...check]);
  const revision = createHash('sha256').update(content).digest('hex').slice(0, 20);
  const checks = checkIntervalMs > 0 ? { checkIntervalMs } : {};
  return { version: 1, agent, revision, intervalMs, targets: kept, tokenScope: token, ...checks };
}
