// A sweep's stop: on stop (SIGTERM) the sweep in flight gets the stop grace to finish, then it is
// aborted (what it probed is still reported); should the engine not return within ABANDON_MS after
// that, the loop stops waiting for it (its results are lost, the exit is not delayed).
import type { LoopClock } from './clock.js';

/** How long past the stop grace an aborted sweep may take to return. */
export const ABANDON_MS = 2000;

export interface StoppableSweep {
  /** The sweep's abort signal. */
  signal: AbortSignal;
  /** Resolves with null once the sweep is to be given up (stop grace plus ABANDON_MS after a stop). */
  abandoned: Promise<null>;
  /** The sweep is over: cancels the stop timers and releases the stop listener. */
  done(): void;
}

export function stoppableSweep(clock: LoopClock, stopSignal: AbortSignal, stopGraceMs: number): StoppableSweep {
  const sweep = new AbortController();
  let cancelGrace = () => {};
  let cancelHard = () => {};
  const abandoned = new Promise<null>((resolve) => {
    const onStop = () => {
      cancelGrace = clock.timer(stopGraceMs, () => sweep.abort(new Error('agent stopping')));
      cancelHard = clock.timer(stopGraceMs + ABANDON_MS, () => resolve(null));
    };
    if (stopSignal.aborted) onStop();
    else stopSignal.addEventListener('abort', onStop, { once: true });
    sweep.signal.addEventListener('abort', () => stopSignal.removeEventListener('abort', onStop), { once: true });
  });
  return {
    signal: sweep.signal,
    abandoned,
    done: () => {
      cancelGrace();
      cancelHard();
      sweep.abort(); // releases the stop listener; the sweep is over either way
    },
  };
}
