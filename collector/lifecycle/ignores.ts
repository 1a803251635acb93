// Ignore rules (docs/design/findings.md#ignore-rules): every rule has a reason and an optional expiry. A rule
// without a kind ignores the matching endpoints altogether: they leave the plan (never probed)
// and the model the drift engine sees. A rule with a kind only hides findings of that kind (e.g.
// a known debug port: `undeclared` on host:port). Expired rules do nothing.
import { addressGlob } from '../../shared/glob.js';
import type { DeclaredModel, Finding } from '../../shared/types.js';
import type { IgnoreRule } from '../store/types.js';

export interface IgnoreMatcher {
  endpoint(resource: string, host: string | null, port: number): boolean;
  finding(f: Finding): boolean;
}

export function activeIgnores(rules: readonly IgnoreRule[], now: string): IgnoreRule[] {
  return rules.filter((r) => r.expiresAt === null || r.expiresAt > now);
}

export function ignoreMatcher(rules: readonly IgnoreRule[]): IgnoreMatcher {
  const compiled = rules.map((r) => ({ r, matches: addressGlob(r.resource) }));
  const hit = (c: (typeof compiled)[number], resource: string, host: string | null, port: number) =>
    (c.r.host === null || c.r.host === host) &&
    (c.r.port === null || c.r.port === port) &&
    resource.split(', ').some(c.matches);
  return {
    endpoint: (resource, host, port) => compiled.some((c) => c.r.kind === null && hit(c, resource, host, port)),
    finding: (f) =>
      compiled.some((c) => (c.r.kind === null || c.r.kind === f.kind) && hit(c, f.resource, f.host, f.port)),
  };
}

/** The model without the endpoints that kind-less rules ignore. */
export function withoutIgnored(model: DeclaredModel, m: IgnoreMatcher): DeclaredModel {
  return { ...model, endpoints: model.endpoints.filter((e) => !m.endpoint(e.resource, e.host, e.port)) };
}
