// The collector's time: reading it, and the two timers its orchestration runs on (a one-shot for
// the debounced evaluation and the report schedule, a repeating one for the interval tick).
// Injected so unit tests drive time by hand; the real one is Date.now and Node's timers, unref'd
// so that a pending timer never keeps a stopping process alive. A callback may return the
// promise of the work it started: the real clock ignores it, a test clock waits for it before
// it moves on, so a test never guesses how long that work takes.

export interface Timer {
  cancel(): void;
}

export type TimerCallback = () => Promise<unknown> | undefined;

export interface Clock {
  /** Unix ms. */
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  after(ms: number, fn: TimerCallback): Timer;
  /** Calls `fn` every `ms` until cancelled. */
  every(ms: number, fn: TimerCallback): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(() => void fn(), ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  every(ms, fn) {
    const t = setInterval(() => void fn(), ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
};
