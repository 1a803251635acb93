// The sentences of a finding: `message` says what is wrong in words a person understands,
// `suggestion` says what to change and where (the IaC line, or the variable default / tfvars
// value / parameter the port really comes from).
import { describeOrigin } from '../fix/plan.js';
import type { DeclaredEndpoint, Observation, ServiceExpectation, SourceLocation } from '../types.js';

const loc = (s: SourceLocation): string => `${s.file}:${s.line}`;

export function portsText(e: DeclaredEndpoint): string {
  return e.toPort !== undefined && e.toPort > e.port ? `ports ${e.port}-${e.toPort}` : `port ${e.port}`;
}

/** `10.0.1.5`, or `db.internal (10.0.1.5, fd00::5)` when the host is a name. */
export function hostText(host: string, list: readonly Observation[]): string {
  const ips = [...new Set(list.map((o) => o.ip))].filter((ip) => ip !== host).sort();
  return ips.length === 0 ? host : `${host} (${ips.join(', ')})`;
}

/** `filtered on 10.0.1.5` or `closed on 10.0.1.5 and filtered on fd00::5`. */
function statesText(list: readonly Observation[]): string {
  const byState = new Map<string, Set<string>>();
  for (const o of list) {
    let s = byState.get(o.state);
    if (!s) byState.set(o.state, (s = new Set()));
    s.add(o.ip);
  }
  return [...byState]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([state, ips]) => `${state} on ${[...ips].sort().join(', ')}`)
    .join(' and ');
}

const agentsText = (list: readonly Observation[]): string => [...new Set(list.map((o) => o.agent))].sort().join(', ');

/** `open`: the observations of the candidate port, so the message names where it really listens. */
export function movedText(
  e: DeclaredEndpoint,
  host: string,
  open: readonly Observation[],
  observedPort: number,
): { message: string; suggestion: string } {
  const d = e.port;
  const message = `${e.resource} declares port ${d} but ${hostText(host, open)} listens on ${observedPort}`;
  const o = e.origin;
  let where: string;
  if (o && o.kind !== 'literal') {
    const shared = o.sharedWith && o.sharedWith.length > 0 ? ` (the same value feeds ${o.sharedWith.join(', ')})` : '';
    where = `${o.file}:${o.line} ${describeOrigin(o)} ${o.text} → ${observedPort}${shared}`;
  } else {
    where = `${loc(o ?? e.source)} port ${d} → ${observedPort}`;
  }
  return { message, suggestion: `${where}, or move the service back to ${d}` };
}

export function missingText(
  e: DeclaredEndpoint,
  host: string,
  closed: readonly Observation[],
): { message: string; suggestion: string } {
  const range = e.toPort !== undefined && e.toPort > e.port;
  return {
    message:
      `${e.resource} declares ${portsText(e)} but ` +
      `${range ? 'all are' : 'it is'} closed on ${hostText(host, closed)}`,
    suggestion:
      `start the service on ${host}:${range ? `${e.port}-${e.toPort}` : e.port}` +
      `, or remove the declaration at ${loc(e.source)}`,
  };
}

export function unreachableText(
  e: DeclaredEndpoint,
  host: string,
  list: readonly Observation[],
): { message: string; suggestion: string } {
  const agents = agentsText(list);
  const between = `between ${agents} and ${host}`;
  return {
    message:
      `${e.resource} declares ${portsText(e)} on ${host} but it is ` +
      `${statesText(list)} from ${agents}, so whether it listens is unknown`,
    suggestion: `check firewalls, security groups and network policies ${between}, or the agent's scope`,
  };
}

export function undeclaredText(
  host: string,
  port: number,
  open: readonly Observation[],
  resources: readonly string[],
): { message: string; suggestion: string } {
  const service = open.find((o) => o.service)?.service;
  const owner = resources.length > 0 ? resources.join(', ') : 'this host';
  return {
    message:
      `${hostText(host, open)} listens on ` +
      `${port}${service ? ` (${service})` : ''} but no IaC declares it for ${owner}`,
    suggestion: `declare port ${port} for ${resources[0] ?? host} if it is intended, or stop the listener`,
  };
}

export function unobservedText(
  e: DeclaredEndpoint,
  host: string,
  freshnessMs: number | undefined,
): { message: string; suggestion: string } {
  const window = freshnessMs !== undefined ? ` within the last ${durationText(freshnessMs)}` : '';
  return {
    message: `no agent observed ${e.resource} ${portsText(e)} on ${host}${window}`,
    suggestion: `run an agent whose scope covers ${host}, check that it is up, or check that ${host} resolves`,
  };
}

function durationText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `seen`: the open observation whose fingerprint (`service`) is not the expected one. */
export function wrongServiceText(
  e: DeclaredEndpoint,
  expect: ServiceExpectation,
  host: string,
  seen: Observation,
): { message: string; suggestion: string } {
  const where = seen.ip !== host ? `${host} (${seen.ip})` : host;
  const what = `${host}:${e.port} (${seen.service})`;
  return {
    message: `${e.resource} expects ${expect.service} on ${where}:${e.port}; it answers ${seen.service}`,
    suggestion:
      `find what listens on ${what} and move it or the ${expect.service}` +
      ` service, or fix ${expect.by} at ${loc(expect.source)}`,
  };
}
