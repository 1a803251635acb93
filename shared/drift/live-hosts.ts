// The collector with `live: aws`: the hosts the cloud API gives the IaC's resources join the
// declared model, as hosts from state do, so the agents' plans hold them. A matched instance
// gives its private IPs, a DB instance, cache or ECS service its endpoints (every node, every
// running task); a target group has no host of its own. Pure: no IO.
import { expandEndpoints } from '../iac/extract.js';
import type { ConfiguredModel, DeclaredModel } from '../types.js';
import { matchLive } from './live-match.js';
import { hostsOf } from './live-targets.js';

/** The model with every matched resource's live hosts added (endpoints without a host get one per host). */
export function withLiveHosts(model: DeclaredModel, configured: ConfiguredModel): DeclaredModel {
  const { matches } = matchLive(model.resources, configured);
  const added = new Map<string, string[]>();
  for (const { resource, object } of matches) {
    const hosts = hostsOf(object);
    if (hosts.length > 0) added.set(resource.address, [...(added.get(resource.address) ?? []), ...hosts]);
  }
  if (added.size === 0) return model;
  const resources = model.resources.map((r) => {
    const more = added.get(r.address);
    return more ? { ...r, hosts: [...new Set([...r.hosts, ...more])].sort() } : r;
  });
  // Only the endpoints of resources that had no host before are expanded here; the others already were.
  const placed = new Set(model.resources.filter((r) => r.hosts.length > 0).map((r) => r.address));
  const open = model.endpoints.filter((e) => e.host === null && !placed.has(e.resource));
  const rest = model.endpoints.filter((e) => !(e.host === null && !placed.has(e.resource)));
  const expanded = expandEndpoints({ ...model, resources, endpoints: open }).endpoints;
  return { ...model, resources, endpoints: [...rest, ...expanded] };
}
