// Waiting: retry delays with exponential backoff and full jitter (shared/retry.ts), interval
// jitter so a fleet of agents started together does not probe (and post) in step, and a sleep
// on the agent's clock that ends early when the agent is asked to stop.
import { backoffDelay as exponential } from '../../shared/retry.js';
import { systemClock, type LoopClock } from './clock.js';

export type { Sleep } from '../../shared/retry.js';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * Delay before retry number `attempt` (0-based): uniformly random in [0, min(max, base·2^attempt)]
 * ("full jitter"): retries of many agents after one collector restart spread out instead of
 * arriving together.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  return exponential(attempt, { ...options, jitter: 'full' }, random);
}

/** `intervalMs` ± `fraction` (default 10 %), never below half of it. */
export function jitterInterval(intervalMs: number, fraction = 0.1, random: () => number = Math.random): number {
  const delta = intervalMs * fraction * (2 * random() - 1);
  return Math.max(Math.round(intervalMs / 2), Math.round(intervalMs + delta));
}

/** Sleep `ms` on `clock`; resolves early (to false) when `signal` aborts, else to true. */
export function sleep(ms: number, signal?: AbortSignal, clock: LoopClock = systemClock): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      cancel();
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const cancel = clock.timer(Math.max(0, ms), () => done(true));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
