// The addresses of a run laid out for the shards: every address's probe order, claim cursor and
// results in one buffer per kind (SharedArrayBuffers when worker threads take part), with
// per-address views into them. One allocation per kind rather than five per address: a run
// over 20000 addresses would otherwise make 100000 shared buffers, each page-backed.
import type { ShardHost } from './shard-types.js';

export interface PackedHosts {
  ips: string[];
  families: Uint8Array;
  /** Address i's positions are offsets[i] … offsets[i + 1] − 1 in the arrays below. */
  offsets: Int32Array;
  ports: Uint16Array;
  /** Two per address: next unclaimed position, retry depth reached (shard-types.ts ShardHost.cursor). */
  cursors: Int32Array;
  state: Uint8Array;
  rtt: Float32Array;
  attempts: Uint8Array;
}

export function packHosts(
  jobs: readonly { ip: string; family: 4 | 6; ports: Uint16Array }[],
  shared: boolean,
): PackedHosts {
  const buf = (bytes: number) =>
    shared ? new SharedArrayBuffer(Math.max(bytes, 4)) : new ArrayBuffer(Math.max(bytes, 4));
  const offsets = new Int32Array(jobs.length + 1);
  for (let i = 0; i < jobs.length; i++) offsets[i + 1] = offsets[i]! + jobs[i]!.ports.length;
  const n = offsets[jobs.length]!;
  const packed: PackedHosts = {
    ips: jobs.map((j) => j.ip),
    families: Uint8Array.from(jobs.map((j) => j.family)),
    offsets,
    ports: new Uint16Array(buf(n * 2), 0, n),
    cursors: new Int32Array(buf(jobs.length * 8), 0, jobs.length * 2),
    state: new Uint8Array(buf(n), 0, n),
    rtt: new Float32Array(buf(n * 4), 0, n).fill(NaN),
    attempts: new Uint8Array(buf(n), 0, n),
  };
  jobs.forEach((j, i) => packed.ports.set(j.ports, offsets[i]));
  return packed;
}

/** Per-address views (no copies) into packed arrays; positions are relative to the address. */
export function unpackHosts(p: PackedHosts): ShardHost[] {
  return p.ips.map((ip, i) => {
    const a = p.offsets[i]!;
    const b = p.offsets[i + 1]!;
    return {
      ip,
      family: p.families[i] === 6 ? 6 : 4,
      ports: p.ports.subarray(a, b),
      cursor: p.cursors.subarray(2 * i, 2 * i + 2),
      state: p.state.subarray(a, b),
      rtt: p.rtt.subarray(a, b),
      attempts: p.attempts.subarray(a, b),
    };
  });
}

/** One address on its own (tests, small callers). */
export function newShardHost(ip: string, family: 4 | 6, ports: Uint16Array, shared = false): ShardHost {
  return unpackHosts(packHosts([{ ip, family, ports }], shared))[0]!;
}
