// Compose `ports` short syntax `[[IP:](port|range):](port|range)[/PROTOCOL]` (docs/design/iac-extraction.md#compose),
// split from the right: protocol, then the container part, then the published part, then the
// host IP, which may be IPv6 with or without brackets (`::1:6000:6000`, `[::1]:6001:6001`).

export interface ShortPort {
  /** Host address the published port binds to, brackets removed; undefined for all addresses. */
  hostIp?: string;
  /** Published host port or range as written; undefined or '' when Compose picks a random one. */
  published?: string;
  /** Container port or range as written. */
  target: string;
  /** As written, lower-cased; `tcp` when absent. */
  protocol: string;
}

export function parseShortPort(spec: string | number): ShortPort {
  // `${VAR:-8080}` holds a colon of its own: mask interpolations while splitting, restore after.
  const masked: string[] = [];
  const unmask = (t: string): string => t.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => masked[Number(i)]!);
  const parsed = split(
    String(spec)
      .trim()
      .replace(/\$\{[^}]*\}/g, (m) => `\u0000${masked.push(m) - 1}\u0000`),
  );
  return {
    ...(parsed.hostIp !== undefined ? { hostIp: unmask(parsed.hostIp) } : {}),
    ...(parsed.published !== undefined ? { published: unmask(parsed.published) } : {}),
    target: unmask(parsed.target),
    protocol: unmask(parsed.protocol),
  };
}

function split(spec: string): ShortPort {
  let rest = spec;
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
  }
  const last = rest.lastIndexOf(':');
  if (last < 0) return { target: rest, protocol };
  const target = rest.slice(last + 1);
  rest = rest.slice(0, last);
  const hostColon = rest.lastIndexOf(':');
  if (hostColon < 0) return { published: rest, target, protocol };
  const published = rest.slice(hostColon + 1);
  let hostIp = rest.slice(0, hostColon);
  if (hostIp.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1);
  return { ...(hostIp ? { hostIp } : {}), published, target, protocol };
}
