// `--exclude HOST|CIDR…` (as nmap's): addresses and host names a probe leaves out on purpose.
// An entry is a CIDR or bare address (matched against every resolved address) or a host name
// (matched against the name as given, case-insensitively). Commas separate entries too, so
// `--exclude 10.0.0.5,db.internal` and two `--exclude` flags mean the same.
import { PortdriftError } from './errors.js';
import { hostProblem } from './hosts.js';
import { type Cidr, parseAddress, parseCidr } from './scope.js';

export interface Exclusion {
  /** The entries as written, for messages. */
  entries: readonly string[];
  matches(ip: string, host: string): boolean;
}

function contains(c: Cidr, ip: string): boolean {
  const a = parseAddress(ip);
  if (!a || a.family !== c.family) return false;
  const bits = BigInt(c.family === 4 ? 32 : 128);
  const hostBits = bits - BigInt(c.prefix);
  return a.value >> hostBits === c.network >> hostBits;
}

/** Parse the entries; every bad one is named in one error (PD_USAGE). */
export function parseExclusion(specs: readonly string[]): Exclusion {
  const entries = specs
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const cidrs: Cidr[] = [];
  const names = new Set<string>();
  const bad: string[] = [];
  for (const e of entries) {
    if (parseAddress(e.replace(/\/\d+$/, '')) || e.includes('/')) {
      try {
        cidrs.push(parseCidr(e));
      } catch (err) {
        bad.push((err as Error).message);
      }
      continue;
    }
    const why = hostProblem(e);
    if (why) bad.push(`"${e}" is not an address, CIDR or host name: ${why}`);
    else names.add(e.toLowerCase().replace(/\.$/, ''));
  }
  if (bad.length) throw new PortdriftError('PD_USAGE', bad.join('; '), { details: { problems: bad } });
  return {
    entries,
    matches: (ip, host) => names.has(host.toLowerCase().replace(/\.$/, '')) || cidrs.some((c) => contains(c, ip)),
  };
}
