// The scope of an agent token, applied to what its agent reports: every sweep and observation
// record must be about an address inside the token's CIDRs (the address probed, and the host too
// when it is an IP literal). Without this a token of one subnet's agent could report any host's
// ports, turning another agent's `moved` into `undeclared` or resolving an `unobserved`.
// Unlike the prober's scope (shared/scope.ts makeAdmit) there is no special-range rule here:
// that guards what the agent connects to, and the agent applies it itself.
import { isIP } from 'node:net';
import { parseAddress, parseCidr, type Cidr } from '../../shared/scope.js';

export interface RecordScope {
  /** For messages: `the token of agent "a" (10.0.0.0/16)`. */
  readonly describe: string;
  /** Whether an address (or IP-literal host) lies inside; results are cached per scope. */
  admits(ip: string): boolean;
}

function inside(cidr: Cidr, addr: { family: 4 | 6; value: bigint }): boolean {
  if (cidr.family !== addr.family) return false;
  const total = BigInt(cidr.family === 4 ? 32 : 128);
  const hostBits = total - BigInt(cidr.prefix);
  return addr.value >> hostBits === cidr.network >> hostBits;
}

/** null when the token has no scope (an agent token from before scopes: unrestricted). */
export function recordScope(agent: string, scope: readonly string[] | null): RecordScope | null {
  if (scope === null) return null;
  const cidrs = scope.map((c) => parseCidr(c));
  const cache = new Map<string, boolean>();
  return {
    describe: `the token of agent ${JSON.stringify(agent)} (${scope.join(', ')})`,
    admits(ip: string): boolean {
      let ok = cache.get(ip);
      if (ok === undefined) {
        const addr = parseAddress(ip);
        ok = addr !== null && cidrs.some((c) => inside(c, addr));
        if (cache.size < 100_000) cache.set(ip, ok);
      }
      return ok;
    },
  };
}

/** The field of a record that lies outside the scope (host when it is an IP literal, else ip), or null. */
export function outside(
  scope: RecordScope,
  host: string,
  ip: string | null,
): { field: 'host' | 'ip'; value: string } | null {
  if (isIP(host) !== 0 && !scope.admits(host)) return { field: 'host', value: host };
  if (ip !== null && !scope.admits(ip)) return { field: 'ip', value: ip };
  return null;
}
