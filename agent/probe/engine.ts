// The probe engine's entry point: runShard() probes a list of addresses on this event loop
// (shard.ts and the units it wires), in the main thread or in a worker (worker.ts).
import { realClock, type Clock } from './clock.js';
import type { ConnectorFactory } from './connector.js';
import { Shard, type ShardOutput } from './shard.js';
import type { ShardHooks, ShardHost, ShardSettings } from './shard-types.js';

export {
  Code,
  type ShardHooks,
  type ShardHost,
  type ShardHostResult,
  type ShardSettings,
  type ShardStats,
} from './shard-types.js';
export type { ShardOutput } from './shard.js';

/**
 * Probes `hosts` with at most `s.window` connects in flight; resolves with each address's
 * results (also written into its arrays) when every probe has its verdict or the signal aborts,
 * rejects with PD_PROBE_LOCAL when connects keep failing locally with nothing in flight.
 * `clock` is for tests that drive time by hand.
 */
export function runShard(
  hosts: readonly ShardHost[],
  s: ShardSettings,
  factory: ConnectorFactory,
  hooks: ShardHooks = {},
  clock: Clock = realClock,
): Promise<ShardOutput> {
  return new Shard(hosts, s, factory, hooks, clock).run();
}
