// The sidecar / host view: the LISTEN sockets of the agent's own network namespace, read from
// /proc/net/tcp and /proc/net/tcp6 without privilege and without scanning
// (docs/design/wire-protocol.md#listeners). Loopback-only binds are included: they are exactly what a port probe from
// another host cannot see. Process attribution (/proc/<pid>/fd) would need CAP_SYS_PTRACE and
// is deliberately not done.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import type { ListenerRecord } from '../../shared/types.js';

const TCP_LISTEN = '0A';

export interface Listener {
  ip: string;
  port: number;
}

/**
 * The kernel prints each 32-bit word of an address with %08X of the host-order integer, so on
 * little-endian machines the bytes of every word appear reversed.
 */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

export function decodeAddress(hex: string, littleEndian = endianness() === 'LE'): string {
  if (hex.length === 8) return wordBytes(hex, littleEndian).join('.');
  if (hex.length !== 32) throw new Error(`unexpected address "${hex}"`);
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8), littleEndian));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The URL parser writes IPv6 in its canonical compressed form (RFC 5952): `::1`, `::ffff:…`.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Parse the text of /proc/net/tcp or /proc/net/tcp6; only sockets in state LISTEN. */
export function parseProcNetTcp(text: string, littleEndian = endianness() === 'LE'): Listener[] {
  const lines = text.split('\n');
  if (!/^\s*sl\s/.test(lines[0] ?? '')) throw new Error('not a /proc/net/tcp table (no "sl" header)');
  const out: Listener[] = [];
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== TCP_LISTEN) continue;
    const [addr, port] = f[1]!.split(':');
    if (!addr || !port) continue;
    out.push({ ip: decodeAddress(addr, littleEndian), port: parseInt(port, 16) });
  }
  return out;
}

/**
 * The LISTEN sockets of this network namespace, distinct and sorted. `procNet` is the directory
 * holding `tcp` and `tcp6` (/proc/self/net is what /proc/net links to). A missing tcp6 (IPv6
 * disabled) is an empty table, not an error.
 */
export function readListeners(procNet = '/proc/self/net'): Listener[] {
  const seen = new Map<string, Listener>();
  for (const name of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${procNet}/${name}`, 'utf8');
    } catch (err) {
      if (name === 'tcp6' && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const l of parseProcNetTcp(text)) seen.set(`${l.ip}|${l.port}`, l);
  }
  return [...seen.values()].sort((a, b) => a.port - b.port || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

export function listenerRecords(listeners: Listener[], at: string): ListenerRecord[] {
  return listeners.map((l) => ({ t: 'listener', ip: l.ip, port: l.port, at }));
}
