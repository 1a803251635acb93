// One variable (or local, tfvars value, module input) often feeds several endpoints: the same
// `var.app_port` for a target group, a container and a security-group rule. `portdrift fix`
// must say that editing it changes them all, so each origin lists the other resources it feeds.
import type { DeclaredEndpoint } from '../../types.js';

export function sharedOrigins(endpoints: DeclaredEndpoint[]): void {
  const groups = new Map<string, DeclaredEndpoint[]>();
  for (const e of endpoints) {
    if (!e.origin || e.origin.kind === 'literal') continue;
    const key = `${e.origin.file}\u0000${e.origin.line}\u0000${e.origin.text}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  for (const group of groups.values()) {
    const resources = [...new Set(group.map((e) => e.resource))].sort();
    if (resources.length < 2) continue;
    for (const e of group) e.origin = { ...e.origin!, sharedWith: resources.filter((r) => r !== e.resource) };
  }
}
