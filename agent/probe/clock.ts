// The engine's time: one clock for reading it and for the two kinds of scheduling the engine
// does (the coarse tick, and work deferred past the poll phase). Injected so unit tests can
// drive time by hand; the real one is performance.now, setInterval and setImmediate.

/** The tick of the timeout walk and of the retry / rate clocks, in ms. */
export const TICK_MS = 10;

export interface Ticker {
  stop(): void;
}

export interface Clock {
  /** Monotonic ms. */
  now(): number;
  /** Calls `fn` every `ms` until stopped (the engine's coarse tick). */
  every(ms: number, fn: () => void): Ticker;
  /**
   * Calls `fn` once after the poll phase of this loop turn (setImmediate): by then every
   * completed connect has been delivered, so a verdict given there cannot beat an answer.
   */
  soon(fn: () => void): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    return { stop: () => clearInterval(timer) };
  },
  soon(fn) {
    setImmediate(fn);
  },
};
