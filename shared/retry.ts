// Retries and backoff, on cockatiel (its one home in the product): the agent's requests to the
// collector and its enrollment, webhook deliveries, and the schedule of reports waiting in the
// outbox. Cockatiel's retry policy runs the loop (which failures and which answers are retried,
// how many tries, when to give up); the delays follow its exponential formula with the jitter
// each caller names. The one thing done here is the wait itself: cockatiel's own wait cannot be
// cut short by an AbortSignal (a stopping agent must not sit out a 60 s backoff) nor replaced by
// a test's clock, so the policy waits 0 and each retry first waits through `sleep`.
import { ConstantBackoff, handleWhen, noJitterGenerator, retry } from 'cockatiel';

/**
 * Exponential backoff: the cap before retry n (0-based) is min(maxMs, baseMs·2^n). `full`
 * jitter: uniformly random in [0, cap] (many agents retrying after one collector restart
 * spread out); `half`: in [cap/2, cap]; `none`: the cap itself.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  jitter: 'full' | 'half' | 'none';
}

/** The wait before retry `n` (0-based: 0 is the wait before the second try). */
export function backoffDelay(n: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const [cap] = noJitterGenerator(Math.max(0, n), {
    initialDelay: p.baseMs,
    maxDelay: p.maxMs,
    exponent: 2,
    generator: noJitterGenerator,
  });
  if (p.jitter === 'full') return Math.round(random() * cap);
  if (p.jitter === 'half') return Math.round(cap / 2 + random() * (cap / 2));
  return cap;
}

/** Wait `ms`; resolves early (to false) when `signal` aborts, else to true. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<boolean>;

export const sleep: Sleep = (ms, signal) => {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
};

/** What the last try gave: an answer that was retried, or an error. */
export type LastTry<T> = { value: T } | { error: unknown };

export interface RetryOptions<T> {
  /** Tries in all, the first included (Infinity: until success, a refusal or the signal). */
  attempts: number;
  backoff: BackoffPolicy;
  /** Errors worth another try (default: every one); any other is thrown at once. */
  retryError?: (err: unknown) => boolean;
  /** Answers worth another try (a 503); default none. */
  retryResult?: (value: T) => boolean;
  /** The wait before the next try, given the last one and the backoff's (a server's Retry-After). */
  delay?: (last: LastTry<T>, backoffMs: number) => number;
  /** Before each wait: `attempt` is the number of the try that comes after it. */
  onRetry?: (r: { attempt: number; delayMs: number; last: LastTry<T> }) => void;
  signal?: AbortSignal;
  sleep?: Sleep;
  random?: () => number;
}

export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number }
  /** Out of tries, or stopped by the signal (`aborted`); `last` is null when no try was made. */
  | { ok: false; last: LastTry<T> | null; attempts: number; aborted: boolean };

/** Thrown inside the policy when the signal ends a wait: never retried. */
class Stopped extends Error {}

/**
 * Run `fn` (given the number of the try, from 1) until it gives an answer that is not retried.
 * A refused error (see `retryError`) is thrown; running out of tries or being stopped is an
 * outcome, with the last try's answer or error, so the caller words the failure.
 */
export async function retrying<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions<T>): Promise<RetryOutcome<T>> {
  const wait = o.sleep ?? sleep;
  const isRetried = o.retryError ?? (() => true);
  const policy = retry(
    handleWhen((e) => !(e instanceof Stopped) && isRetried(e)).orWhenResult((v) => o.retryResult?.(v as T) ?? false),
    { maxAttempts: Math.max(1, o.attempts) - 1, backoff: new ConstantBackoff(0) },
  );
  let last: LastTry<T> | null = null;
  let tries = 0;
  try {
    const value = await policy.execute(async ({ attempt }) => {
      if (attempt > 0 && last) {
        const backoffMs = backoffDelay(attempt - 1, o.backoff, o.random);
        const delayMs = o.delay ? o.delay(last, backoffMs) : backoffMs;
        o.onRetry?.({ attempt: attempt + 1, delayMs, last });
        if (!(await wait(delayMs, o.signal))) throw new Stopped();
      }
      if (o.signal?.aborted) throw new Stopped();
      tries++;
      try {
        const v = await fn(attempt + 1);
        last = { value: v };
        return v;
      } catch (error) {
        last = { error };
        throw error;
      }
    }, o.signal);
    // Cockatiel gives up on a retried answer by returning it.
    if (o.retryResult?.(value)) return { ok: false, last: { value }, attempts: tries, aborted: !!o.signal?.aborted };
    return { ok: true, value, attempts: tries };
  } catch (err) {
    if (err instanceof Stopped) return { ok: false, last, attempts: tries, aborted: true };
    if (!isRetried(err)) throw err;
    return { ok: false, last: { error: err }, attempts: tries, aborted: !!o.signal?.aborted };
  }
}
