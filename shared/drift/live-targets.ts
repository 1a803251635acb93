// What a scan with `--live aws` probes besides the hosts of the declared model: the hosts the
// cloud API names for the IaC's resources. A matched DB instance, cache or ECS service is probed
// on its endpoints (every node, every running task) at the declared and the configured port, so
// `config-drift` gets its observed layer; every host that carries a matched security group
// (instances' private IPs, DB and cache endpoints, ECS tasks) is probed on the group's judged rule
// ports, so `stale-rule` can say whether anything listens behind a rule. Only objects of the IaC's
// resources and the hosts of its groups: never the rest of the account. Pure: no IO.
import type { ConfiguredModel, DeclaredEndpoint, DeclaredModel, LiveObject, LiveRule, Resource } from '../types.js';
import { matchLive } from './live-match.js';
import type { ScanTarget } from './targets.js';

/** Rules of at most this many ports are judged by `stale-rule` (a wider range is meant to be wide). */
export const STALE_MAX_PORTS = 16;

/** The hosts of a live object: an instance's private IPs, every endpoint of the others. */
export function hostsOf(o: LiveObject): string[] {
  if (o.kind === 'instance') return o.privateIps ?? (o.address ? [o.address] : []);
  return o.addresses && o.addresses.length > 0 ? o.addresses : o.address ? [o.address] : [];
}

/** Every host of every live object that carries the group. */
export function carriersOf(groupId: string, configured: ConfiguredModel): string[] {
  const out = new Set<string>();
  for (const o of configured.objects) if (o.securityGroups?.includes(groupId)) for (const h of hostsOf(o)) out.add(h);
  return [...out];
}

export interface JudgedRule {
  protocol: 'tcp';
  port: number;
  toPort: number;
  /** The IaC rule, when declared. */
  declared?: DeclaredEndpoint;
  /** The live rule, when the group has it. */
  live?: LiveRule;
}

/** The TCP rules of a group (declared and live, one per port range) that `stale-rule` judges. */
export function judgedRules(declared: readonly DeclaredEndpoint[], sg: LiveObject): JudgedRule[] {
  const out = new Map<string, JudgedRule>();
  const small = (from: number, to: number): boolean => to - from + 1 <= STALE_MAX_PORTS;
  for (const e of declared) {
    const to = e.toPort ?? e.port;
    if (e.role !== 'allow' || e.direction !== 'ingress' || e.protocol !== 'tcp' || !small(e.port, to)) continue;
    const key = `${e.port}-${to}`;
    if (!out.has(key)) out.set(key, { protocol: 'tcp', port: e.port, toPort: to, declared: e });
  }
  for (const r of sg.ingress ?? []) {
    if (r.protocol !== 'tcp' || !small(r.port, r.toPort)) continue;
    const key = `${r.port}-${r.toPort}`;
    const seen = out.get(key);
    if (seen) seen.live ??= r;
    else out.set(key, { protocol: 'tcp', port: r.port, toPort: r.toPort, live: r });
  }
  return [...out.values()];
}

/** The declared endpoints of each resource, standalone rules under the group they name. */
export function endpointsByResource(model: DeclaredModel): Map<string, DeclaredEndpoint[]> {
  const byResource = new Map<string, DeclaredEndpoint[]>();
  for (const e of model.endpoints) byResource.set(e.resource, [...(byResource.get(e.resource) ?? []), e]);
  return byResource;
}

/** Standalone rules (aws_security_group_rule, …) by the group they name. */
export function rulesOfGroups(
  model: DeclaredModel,
  byResource: Map<string, DeclaredEndpoint[]>,
): Map<string, DeclaredEndpoint[]> {
  const rulesOf = new Map<string, DeclaredEndpoint[]>();
  for (const r of model.resources) {
    const group = r.liveKeys?.securityGroup;
    if (group === undefined) continue;
    rulesOf.set(group, [...(rulesOf.get(group) ?? []), ...(byResource.get(r.address) ?? [])]);
  }
  return rulesOf;
}

const PORT_KINDS = new Set(['db-instance', 'cache-cluster', 'replication-group', 'ecs-service']);

/** The probe targets the live layer adds (declared ports: what is judged; no discovery set). */
export function liveTargets(model: DeclaredModel, configured: ConfiguredModel): ScanTarget[] {
  const { matches } = matchLive(model.resources, configured);
  const byResource = endpointsByResource(model);
  const rulesOf = rulesOfGroups(model, byResource);
  const ports = new Map<string, Set<number>>();
  const add = (host: string, list: Iterable<number>): void => {
    const set = ports.get(host) ?? new Set<number>();
    for (const p of list) set.add(p);
    ports.set(host, set);
  };
  const own = (r: Resource): DeclaredEndpoint[] => byResource.get(r.address) ?? [];
  for (const { resource, object } of matches) {
    if (PORT_KINDS.has(object.kind)) {
      const listen = own(resource)
        .filter((e) => e.role === 'listen' && e.toPort === undefined)
        .map((e) => e.port);
      const configuredPort = object.port !== undefined ? [object.port] : [];
      for (const h of hostsOf(object)) add(h, [...listen, ...configuredPort]);
    } else if (object.kind === 'security-group') {
      const rules = judgedRules([...own(resource), ...(rulesOf.get(resource.address) ?? [])], object);
      const rulePorts: number[] = [];
      for (const r of rules) for (let p = r.port; p <= r.toPort; p++) rulePorts.push(p);
      if (rulePorts.length > 0) for (const h of carriersOf(object.id, configured)) add(h, rulePorts);
    }
  }
  return [...ports.entries()]
    .filter(([, set]) => set.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([host, set]) => ({ host, declared: [...set].sort((a, b) => a - b), discovery: [] }));
}

/**
 * The model's targets with the live ones merged in: a host in both keeps its own declared ports
 * and discovery set and gets the live ports as declared ones (they are judged, not discovered).
 */
export function mergeTargets(base: readonly ScanTarget[], extra: readonly ScanTarget[]): ScanTarget[] {
  const out = base.map((t) => ({ ...t, declared: [...t.declared], discovery: [...t.discovery] }));
  const byHost = new Map(out.map((t) => [t.host, t]));
  for (const t of extra) {
    const have = byHost.get(t.host);
    if (!have) {
      out.push({ ...t });
      continue;
    }
    const declared = new Set([...have.declared, ...t.declared]);
    have.declared = [...declared].sort((a, b) => a - b);
    have.discovery = have.discovery.filter((p) => !declared.has(p));
  }
  return out;
}
