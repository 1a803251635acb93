// The agent loop's time: wall-clock ms and one-shot timers. Injected so the loop's unit tests
// drive an outage, a backoff or a whole day of cycles by hand in milliseconds; the real one is
// Date.now and setTimeout. Wall time, not monotonic: the loop's times go into batch headers.

export interface LoopClock {
  /** Wall-clock ms since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it. */
  timer(ms: number, fn: () => void): () => void;
}

export const systemClock: LoopClock = {
  now: () => Date.now(),
  timer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};
