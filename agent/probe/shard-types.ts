// The data a shard (one event loop's share of a probe run, shard.ts) takes and gives back.
// Everything here is plain data and typed arrays: it crosses into worker threads (worker.ts).

/**
 * One address to probe. `ports` is the probe order: declared ports first, then discovery.
 * Several shards (threads) may probe the same address: they claim positions of `ports` in
 * chunks through the shared `cursor` (Atomics), so a thread that gets less CPU simply claims
 * fewer, and each writes the results of the positions it claimed into the shared arrays.
 */
export interface ShardHost {
  ip: string;
  family: 4 | 6;
  ports: Uint16Array;
  /**
   * cursor[0]: the next unclaimed position. cursor[1]: the retry depth any thread has reached
   * on this address (a retry that paid off anywhere deepens them all).
   */
  cursor: Int32Array;
  state: Uint8Array;
  /** Round trip in ms of the deciding answer; NaN when none (filtered, unreachable). */
  rtt: Float32Array;
  attempts: Uint8Array;
}

export interface ShardSettings {
  /** Most connects in flight in this loop. */
  window: number;
  /** Timeout cap and the timeout before any RTT sample. */
  timeoutCapMs: number;
  timeoutFloorMs: number;
  /** Extra tries for filtered probes; deepened by up to 2 on an address where retries pay off. */
  retries: number;
  /** New connects per second per address. */
  perHostRate: number;
  /** New connects per second over all addresses of this loop (`--rate`); unset: no such cap. */
  rate?: number;
  /** Per-address congestion window: start and bounds. */
  cwndInit: number;
  cwndMin: number;
  cwndMax: number;
}

/** State codes in ShardHostResult.state. */
export const enum Code {
  Unprobed = 0,
  Open = 1,
  Closed = 2,
  Filtered = 3,
  Unreachable = 4,
}

export interface ShardHostResult {
  state: Uint8Array;
  rtt: Float32Array;
  attempts: Uint8Array;
  /** Why (part of) this address could not be probed. */
  error?: string;
}

export interface ShardStats {
  started: number;
  localErrors: number;
  selfConnects: number;
  smallestWindow: number;
  aborted: boolean;
}

export interface ShardHooks {
  signal?: AbortSignal;
  /** Probes settled so far (final verdicts), called at most once per tick. */
  onProgress?: (settled: number) => void;
}
