// Names → addresses, once per run (docs/design/probe-engine.md#dns). Every A and AAAA record is probed
// separately by IP literal, so no DNS happens per socket and no happy-eyeballs mixing hides a
// dead family. dns.lookup honours /etc/hosts and nsswitch, which is where internal names often
// live; IP literals skip DNS entirely.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface Address {
  ip: string;
  family: 4 | 6;
}

export type Resolution = { addresses: Address[] } | { error: string };

export type LookupFn = (host: string) => Promise<Address[]>;

const systemLookup: LookupFn = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({
    ip: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Resolve each distinct name once; IPv4 first, then IPv6, each in resolver order, duplicates dropped. */
export async function resolveAll(
  hosts: readonly string[],
  lookup: LookupFn = systemLookup,
): Promise<Map<string, Resolution>> {
  const out = new Map<string, Resolution>();
  const distinct = [...new Set(hosts)];
  await Promise.all(
    distinct.map(async (host) => {
      const bare = host.replace(/^\[(.*)\]$/, '$1');
      const literal = isIP(bare);
      if (literal) {
        out.set(host, { addresses: [{ ip: bare, family: literal === 6 ? 6 : 4 }] });
        return;
      }
      try {
        const found = await lookup(host);
        const seen = new Set<string>();
        const addresses = [...found.filter((a) => a.family === 4), ...found.filter((a) => a.family === 6)].filter(
          (a) => !seen.has(a.ip) && seen.add(a.ip),
        );
        out.set(host, addresses.length ? { addresses } : { error: `DNS lookup of ${host} returned no address` });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        out.set(host, { error: `DNS lookup of ${host} failed${code ? `: ${code}` : ''}` });
      }
    }),
  );
  return out;
}
