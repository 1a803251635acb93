// What counts as a host wherever a user writes one (probe's arguments, a targets file): an IPv4
// or IPv6 address or a DNS name. The common near-misses get a message that says what to write
// instead, rather than surfacing later as a DNS failure (`10.0.0.5:5432` is not a name).
import { isIP } from 'node:net';

const LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

/** Why `text` is not a host, or null when it is one. */
export function hostProblem(text: string): string | null {
  const h = text.trim();
  if (h === '') return 'empty: expected an IP address or a DNS name';
  if (isIP(h)) return null;
  if (h.includes('://')) return `\`${h}\` is a URL: give the host alone`;
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(h);
  // `[fd00::1]` is how URLs and many tools write IPv6; the resolver strips the brackets.
  if (bracketed && isIP(bracketed[1]!) === 6)
    return bracketed[2]
      ? `\`${h}\` has a port: give the address alone (${bracketed[1]}), ports come from the IaC or --ports`
      : null;
  const withPort = /^(.+):(\d{1,5})$/.exec(h);
  if (withPort && (isIP(withPort[1]!) === 4 || isDnsName(withPort[1]!)))
    return `\`${h}\` has a port: give the host alone (${withPort[1]}), ports come from the IaC or --ports`;
  if (h.includes('/')) return `\`${h}\` is a range or a path, not a host`;
  if (/^[0-9.]+$/.test(h)) return `\`${h}\` is not a valid IPv4 address`;
  if (!isDnsName(h)) return `\`${h}\` is not an IP address or DNS name`;
  return null;
}

function isDnsName(h: string): boolean {
  const name = h.endsWith('.') ? h.slice(0, -1) : h;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l));
}
