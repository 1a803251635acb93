// A deadline on top of the stop signal. Not `AbortSignal.any([stop, AbortSignal.timeout(ms)])`:
// Node holds a timeout signal only weakly, and inside any() it can be garbage-collected before it
// fires, so the combined signal never aborts (nodejs/node#57736, still open for Node 20–24).
// Seen here: an agent whose collector accepted a batch and never answered stopped sweeping after
// its second cycle. The timer here is an ordinary one, held until the work is done.
import { systemClock, type LoopClock } from './clock.js';

/** Runs `work` with a signal that aborts when `parent` (if any) does or after `ms`, whichever is first. */
export async function withDeadline<T>(
  parent: AbortSignal | undefined,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  clock: LoopClock = systemClock,
): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  const timeout = () => controller.abort(new DOMException(`deadline of ${ms} ms passed`, 'TimeoutError'));
  const cancel = clock.timer(Math.max(0, ms), timeout);
  try {
    return await work(controller.signal);
  } finally {
    cancel();
    parent?.removeEventListener('abort', onAbort);
  }
}
