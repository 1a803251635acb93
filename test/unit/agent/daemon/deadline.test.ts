import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../../../agent/daemon/deadline.js';

const until = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) =>
    signal.aborted
      ? resolve(signal.reason)
      : signal.addEventListener('abort', () => resolve(signal.reason), { once: true }),
  );

describe('withDeadline', () => {
  it('aborts the work when the deadline passes, with a TimeoutError', async () => {
    const t0 = Date.now();
    const reason = await withDeadline(new AbortController().signal, 50, until);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect((reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts the work when the parent aborts, with its reason; an aborted parent aborts at once', async () => {
    const stop = new AbortController();
    const p = withDeadline(stop.signal, 60_000, until);
    stop.abort(new Error('stopping'));
    expect(((await p) as Error).message).toBe('stopping');
    expect(((await withDeadline(stop.signal, 60_000, until)) as Error).message).toBe('stopping');
  });

  it('returns the work result, and a finished deadline neither fires later nor keeps a listener', async () => {
    const stop = new AbortController();
    let seen: AbortSignal | undefined;
    expect(await withDeadline(stop.signal, 30, async (s) => ((seen = s), 42))).toBe(42);
    await new Promise((r) => setTimeout(r, 60));
    expect(seen!.aborted).toBe(false);
    stop.abort();
    expect(seen!.aborted).toBe(false);
  });
});
