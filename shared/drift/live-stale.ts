// `stale-rule` (low): a TCP rule of a matched security group (declared or live, at most
// STALE_MAX_PORTS ports) behind which nothing listens: every port of it was probed and found
// closed (a RST) on every host that carries the group. Judged only with observations: with
// --no-probe, on a group no host carries, or when any host / port was not observed closed
// (filtered, unreachable, not probed: a listener may hide behind a filter), nothing is said.
// Pure: no IO.
import type { ConfiguredModel, DeclaredEndpoint, LayerValue, LiveObject, Observation, Resource } from '../types.js';
import { staleRuleText } from './live-messages.js';
import { carriersOf, judgedRules } from './live-targets.js';

export interface StaleDraft {
  resource: string;
  source: Resource['source'];
  port: number;
  declared: LayerValue | null;
  configured: LayerValue | null;
  text: { message: string; suggestion: string };
}

const value = (port: number, toPort: number, sources?: string[]): LayerValue => ({
  port,
  ...(toPort !== port ? { toPort } : {}),
  protocol: 'tcp',
  ...(sources ? { sources } : {}),
});

export function staleRules(
  group: Resource,
  sg: LiveObject,
  declared: readonly DeclaredEndpoint[],
  configured: ConfiguredModel,
  observations: readonly Observation[],
): StaleDraft[] {
  const hosts = carriersOf(sg.id, configured);
  if (hosts.length === 0) return [];
  const state = new Map<string, string>();
  for (const o of observations) {
    const key = `${o.host} ${o.port}`;
    // One open answer anywhere wins over a closed one from another probe of the same port.
    if (state.get(key) !== 'open') state.set(key, o.state);
  }
  const out: StaleDraft[] = [];
  for (const r of judgedRules(declared, sg)) {
    let closed = true;
    for (let p = r.port; p <= r.toPort && closed; p++) {
      for (const h of hosts) {
        if (state.get(`${h} ${p}`) !== 'closed') {
          closed = false;
          break;
        }
      }
    }
    if (!closed) continue;
    const e = r.declared;
    out.push({
      resource: e?.resource ?? group.address,
      source: e?.source ?? group.source,
      port: r.port,
      declared: e ? value(e.port, e.toPort ?? e.port) : null,
      configured: r.live ? value(r.live.port, r.live.toPort, r.live.sources) : null,
      text: staleRuleText(sg, r, hosts),
    });
  }
  return out;
}
