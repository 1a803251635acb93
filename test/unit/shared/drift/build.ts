// Small builders for drift-engine tests: a model and observations written as compactly as the
// cases need, so each test reads as its scenario.
import type { DeclaredEndpoint, DeclaredModel, Observation, PortState, Resource } from '../../../../shared/types.js';

export const NOW = '2026-11-24T09:00:00.000Z';

export function model(resources: Resource[], endpoints: DeclaredEndpoint[]): DeclaredModel {
  return { resources, endpoints, unresolved: [], problems: [] };
}

export function resource(address: string, hosts: string[], line = 1): Resource {
  return { address, type: address.split('.')[0] ?? 'x', source: { file: 'main.tf', line }, hosts };
}

export function listen(
  resource: string,
  host: string | null,
  port: number,
  over: Partial<DeclaredEndpoint> = {},
): DeclaredEndpoint {
  return { resource, host, port, protocol: 'tcp', role: 'listen', source: { file: 'main.tf', line: 10 }, ...over };
}

export function obs(host: string, port: number, state: PortState, over: Partial<Observation> = {}): Observation {
  return {
    agent: 'agent-a',
    host,
    ip: host,
    port,
    state,
    rttMs: state === 'open' || state === 'closed' ? 0.2 : null,
    at: NOW,
    ...over,
  };
}

/** The same state on a list of ports. */
export function many(host: string, ports: number[], state: PortState, over: Partial<Observation> = {}): Observation[] {
  return ports.map((p) => obs(host, p, state, over));
}
