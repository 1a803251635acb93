// Which addresses portdrift may connect to. An agent probes only inside its configured CIDRs;
// `scan` and `probe` have no scope but, like the agent, refuse the special ranges a prober must
// never wander into by accident: link-local (where cloud metadata services live), metadata
// addresses, multicast, broadcast, "this network". A special address is admitted only when a
// CIDR that lies inside the special range itself is listed explicitly — `169.254.169.254/32`
// allows the metadata service, a scope of `0.0.0.0/0` does not.
//
// Addresses are compared as integers (bigint for both families) rather than through
// net.BlockList so that the "explicitly listed" rule above, which needs prefix lengths, and
// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1` is 10.0.0.1) are handled in one place.
//
// Other IPv6 forms carry an IPv4 address that the packets end up at or are tunnelled to: NAT64
// (`64:ff9b::a9fe:a9fe`), 6to4, IPv4-compatible, SIIT and Teredo. The special-range check looks
// at the IPv4 address such a form carries as well as at the IPv6 address itself, so the metadata
// service cannot be reached by writing it in IPv6. The scope is matched against the address as
// written: a 6to4 or Teredo address goes wherever 2002::/16 or 2001::/32 is routed (maybe a public
// relay), so carrying an in-scope IPv4 address does not put it in scope.
import { isIPv4, isIPv6 } from 'node:net';
import { PortdriftError } from './errors.js';

export interface Cidr {
  /** As written. */
  text: string;
  family: 4 | 6;
  prefix: number;
  /** The network address as an integer (host bits cleared). */
  network: bigint;
}

interface Special {
  cidr: Cidr;
  reason: string;
}

const V4_BITS = 32;
const V6_BITS = 128;

function bits(family: 4 | 6): number {
  return family === 4 ? V4_BITS : V6_BITS;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const total = bits(family);
  return ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - prefix)) - 1n);
}

function v4ToInt(ip: string): bigint {
  let n = 0n;
  for (const part of ip.split('.')) n = (n << 8n) | BigInt(Number(part));
  return n;
}

function v6ToInt(ip: string): bigint {
  // Expand an embedded dotted quad (`::ffff:1.2.3.4`) into two groups first.
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v = v4ToInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  return n;
}

/** An address as (family, integer); IPv4-mapped IPv6 counts as IPv4. Zone ids are dropped. */
export function parseAddress(ip: string): { family: 4 | 6; value: bigint } | null {
  const bare = ip.replace(/%.*$/, '').replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(bare)) return { family: 4, value: v4ToInt(bare) };
  if (!isIPv6(bare)) return null;
  const value = v6ToInt(bare);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

/** Why `text` is not a CIDR, or null when it is one. A bare address is a /32 or /128. */
export function checkCidr(text: string): string | null {
  try {
    parseCidr(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Parse `10.0.0.0/16`, `fd00::/8`, or a bare address. Host bits must be zero. */
export function parseCidr(text: string): Cidr {
  const bad = (why: string) => new PortdriftError('PD_CONFIG_INVALID', `"${text}" is not a CIDR: ${why}`);
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const addr = parseAddress(addrText);
  if (!addr) throw bad(`"${addrText}" is not an IPv4 or IPv6 address`);
  // A mapped address written with a v6 prefix keeps its v6 prefix length semantics.
  const writtenV6 = addrText.includes(':');
  let prefix = addr.family === 4 ? V4_BITS : V6_BITS;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) throw bad(`prefix "${p}" is not a number`);
    prefix = Number(p);
    if (writtenV6 && addr.family === 4) prefix -= 96;
    if (prefix < 0 || prefix > bits(addr.family)) throw bad(`prefix /${p} is out of range for IPv${addr.family}`);
  }
  const m = mask(addr.family, prefix);
  if ((addr.value & m) !== addr.value)
    throw bad(`host bits are set (did you mean ${formatNetwork(addr.family, addr.value & m)}/${prefix}?)`);
  return { text, family: addr.family, prefix, network: addr.value };
}

function formatNetwork(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function contains(cidr: Cidr, addr: { family: 4 | 6; value: bigint }): boolean {
  return cidr.family === addr.family && (addr.value & mask(cidr.family, cidr.prefix)) === cidr.network;
}

const V4_MASK = 0xffffffffn;

/**
 * The IPv4 addresses an IPv6 address carries, with the name of the form. `::` and `::1` are the
 * IPv6 unspecified and loopback addresses, not IPv4-compatible ones. A NAT64 network-specific
 * prefix (any /96 an operator picks) cannot be told from an ordinary address and is not decoded.
 */
function embeddedV4(value: bigint): Array<{ value: bigint; form: string }> {
  if (value >> 32n === 0x0064ff9b0000000000000000n) return [{ value: value & V4_MASK, form: 'NAT64' }]; // 64:ff9b::/96
  if (value >> 112n === 0x2002n) return [{ value: (value >> 80n) & V4_MASK, form: '6to4' }]; // 2002::/16
  if (value >> 32n === 0xffff0000n) return [{ value: value & V4_MASK, form: 'SIIT' }]; // ::ffff:0:0:0/96
  if (value >> 32n === 0n && value > 1n) return [{ value, form: 'IPv4-compatible' }]; // ::/96
  if (value >> 96n === 0x20010000n) {
    // Teredo (2001::/32): the server's IPv4 address, then the client's with every bit inverted.
    return [
      { value: (value >> 64n) & V4_MASK, form: 'Teredo server' },
      { value: (value & V4_MASK) ^ V4_MASK, form: 'Teredo' },
    ];
  }
  return [];
}

interface View {
  addr: { family: 4 | 6; value: bigint };
  /** For an IPv4 address carried inside an IPv6 one: the form, for the message. */
  form?: string;
}

/** The address itself, then every IPv4 address it carries. */
function views(addr: { family: 4 | 6; value: bigint }): View[] {
  if (addr.family === 4) return [{ addr }];
  const carried = embeddedV4(addr.value).map((e): View => ({ addr: { family: 4, value: e.value }, form: e.form }));
  return [{ addr }, ...carried];
}

/** The first special range the address or an IPv4 address it carries lies in. */
function specialOf(addr: { family: 4 | 6; value: bigint }): { view: View; special: Special } | null {
  for (const view of views(addr)) {
    const found = SPECIALS.find((s) => contains(s.cidr, view.addr));
    if (found) return { view, special: found };
  }
  return null;
}

function special(text: string, reason: string): Special {
  return { cidr: parseCidr(text), reason };
}

/** The ranges refused unless listed explicitly. The most specific match names the reason. */
const SPECIALS: readonly Special[] = [
  special('169.254.169.254', 'a cloud metadata address'),
  special('169.254.170.2', 'a cloud metadata address (ECS task metadata)'),
  special('100.100.100.200', 'a cloud metadata address (Alibaba Cloud)'),
  special('fd00:ec2::254', 'a cloud metadata address (AWS IPv6)'),
  special('169.254.0.0/16', 'link-local (169.254.0.0/16, where cloud metadata services live)'),
  special('fe80::/10', 'IPv6 link-local (fe80::/10)'),
  special('224.0.0.0/4', 'multicast (224.0.0.0/4)'),
  special('ff00::/8', 'IPv6 multicast (ff00::/8)'),
  special('255.255.255.255', 'the broadcast address'),
  special('240.0.0.0/4', 'reserved (240.0.0.0/4)'),
  special('0.0.0.0/8', '"this network" (0.0.0.0/8)'),
  special('::/128', 'the unspecified address (::)'),
].sort((a, b) => b.cidr.prefix - a.cidr.prefix);

/** Why `ip` lies in a special range (itself or an IPv4 address it carries), or null for an ordinary one. */
export function specialReason(ip: string): string | null {
  const addr = parseAddress(ip);
  if (!addr) return null;
  const found = specialOf(addr);
  if (!found) return null;
  const { view, special: sp } = found;
  return view.form ? `${sp.reason}, carried as ${formatNetwork(4, view.addr.value)} (${view.form})` : sp.reason;
}

export interface AdmitOptions {
  /** CIDRs the caller may probe (the agent's `--scope`); absent = any ordinary address. */
  scope?: readonly string[];
  /** CIDRs explicitly allowed although special (`scan --allow-special 169.254.169.254`). */
  allow?: readonly string[];
}

/**
 * Build the check run after DNS for every address: null admits it, a string says why it is
 * refused (for the log and for `skipped` in probe results). Throws PD_CONFIG_INVALID listing
 * every bad CIDR at once.
 */
export function makeAdmit(options: AdmitOptions = {}): (ip: string) => string | null {
  const problems: string[] = [];
  const parseAll = (list: readonly string[] | undefined, key: string): Cidr[] | undefined => {
    if (!list) return undefined;
    const out: Cidr[] = [];
    list.forEach((t, i) => {
      const p = checkCidr(t);
      if (p) problems.push(`${key}[${i}]: ${p}`);
      else out.push(parseCidr(t));
    });
    return out;
  };
  const scope = parseAll(options.scope, 'scope');
  const allow = parseAll(options.allow, 'allow') ?? [];
  if (problems.length)
    throw new PortdriftError('PD_CONFIG_INVALID', `invalid address ranges:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  const explicit = [...(scope ?? []), ...allow];

  return (ip: string) => {
    const addr = parseAddress(ip);
    if (!addr) return `"${ip}" is not an IP address`;
    if (scope && !scope.some((c) => contains(c, addr)))
      return `${ip} is outside the scope (${scope.map((c) => c.text).join(', ')})`;
    // Every view must pass: the address itself and each IPv4 address it carries.
    for (const view of views(addr)) {
      const sp = SPECIALS.find((s) => contains(s.cidr, view.addr));
      if (!sp) continue;
      // Explicit means a listed CIDR that contains the address and lies inside the special range.
      const inside = (c: Cidr) => contains(c, view.addr) && c.family === sp.cidr.family && c.prefix >= sp.cidr.prefix;
      if (explicit.some(inside)) continue;
      if (!view.form) return `${ip} is ${sp.reason}; list it explicitly to probe it`;
      const v4 = formatNetwork(4, view.addr.value);
      return `${ip} carries ${v4} (${view.form}), ${sp.reason}; list ${v4} explicitly to probe it`;
    }
    return null;
  };
}
