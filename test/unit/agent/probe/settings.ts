// The shard settings and hosts the probe unit tests start from: a wide window, short timeouts
// and a rate that never limits, each test overriding what it is about.
import { newShardHost } from '../../../../agent/probe/hosts.js';
import type { ShardHost, ShardSettings } from '../../../../agent/probe/shard-types.js';

export const settings = (o: Partial<ShardSettings> = {}): ShardSettings => ({
  window: 64,
  timeoutCapMs: 300,
  timeoutFloorMs: 100,
  retries: 1,
  perHostRate: 100_000,
  cwndInit: 64,
  cwndMin: 8,
  cwndMax: 64,
  ...o,
});

/** A window and cwnd of 8, for the units whose slots and cwnd a test counts by hand. */
export const SMALL: ShardSettings = settings({ window: 8, cwndInit: 8, cwndMin: 1, cwndMax: 8 });

/** The ports of one address as the engine takes them (IPv6 when `ip` has a colon). */
export const host = (ports: number[], ip = '127.0.0.1'): ShardHost =>
  newShardHost(ip, ip.includes(':') ? 6 : 4, Uint16Array.from(ports));
