// shared/retry.ts (cockatiel): the delays of the three jitter kinds, and the retry loop driven
// by an injected sleep, so every case runs in milliseconds without real waiting.
import { describe, expect, it } from 'vitest';
import { backoffDelay, retrying, sleep } from '../../../shared/retry.js';

const recorder = () => {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    return true;
  };
  return { waits, sleep };
};

describe('backoffDelay', () => {
  it('doubles from baseMs up to maxMs, with full, half or no jitter', () => {
    const p = { baseMs: 100, maxMs: 1000 } as const;
    const none = [0, 1, 2, 3, 4, 50].map((n) => backoffDelay(n, { ...p, jitter: 'none' }));
    expect(none).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(3, { ...p, jitter: 'full' }, () => 0)).toBe(0);
    expect(backoffDelay(3, { ...p, jitter: 'full' }, () => 0.5)).toBe(400);
    expect(backoffDelay(3, { ...p, jitter: 'half' }, () => 0)).toBe(400);
    expect(backoffDelay(3, { ...p, jitter: 'half' }, () => 1)).toBe(800);
    expect(backoffDelay(5000, { ...p, jitter: 'none' })).toBe(1000);
  });
});

describe('retrying', () => {
  const backoff = { baseMs: 1000, maxMs: 8000, jitter: 'none' } as const;

  it('retries errors with the backoff between tries, and gives the first success', async () => {
    const r = recorder();
    const tries: number[] = [];
    const out = await retrying(
      async (n) => {
        tries.push(n);
        if (n < 4) throw new Error(`down ${n}`);
        return 'up';
      },
      { attempts: 6, backoff, sleep: r.sleep },
    );
    expect(out).toEqual({ ok: true, value: 'up', attempts: 4 });
    expect(tries).toEqual([1, 2, 3, 4]);
    expect(r.waits).toEqual([1000, 2000, 4000]);
  });

  it('runs out of tries: the outcome carries the last error, nothing is thrown', async () => {
    const r = recorder();
    const fail = async (n: number) => Promise.reject(new Error(`down ${n}`));
    const out = await retrying(fail, { attempts: 3, backoff, sleep: r.sleep });
    expect(out.ok).toBe(false);
    expect(!out.ok && out.last && 'error' in out.last && (out.last.error as Error).message).toBe('down 3');
    expect(!out.ok && out.aborted).toBe(false);
    expect(r.waits).toEqual([1000, 2000]);
  });

  it('throws a refused error at once, without waiting', async () => {
    const r = recorder();
    let tries = 0;
    const refusal = new Error('401');
    const run = retrying(
      async () => {
        tries++;
        throw refusal;
      },
      { attempts: 5, backoff, sleep: r.sleep, retryError: (e) => e !== refusal },
    );
    await expect(run).rejects.toBe(refusal);
    expect(tries).toBe(1);
    expect(r.waits).toEqual([]);
  });

  it('retries answers the caller names, and a delay hook replaces the backoff (Retry-After)', async () => {
    const r = recorder();
    const answers = [503, 429, 200];
    const seen: Array<{ attempt: number; delayMs: number }> = [];
    const out = await retrying(async () => answers.shift()!, {
      attempts: 5,
      backoff,
      sleep: r.sleep,
      retryResult: (s) => s >= 429,
      delay: (last, ms) => ('value' in last && last.value === 429 ? 30_000 : ms),
      onRetry: ({ attempt, delayMs }) => seen.push({ attempt, delayMs }),
    });
    expect(out).toEqual({ ok: true, value: 200, attempts: 3 });
    expect(r.waits).toEqual([1000, 30_000]);
    expect(seen).toEqual([
      { attempt: 2, delayMs: 1000 },
      { attempt: 3, delayMs: 30_000 },
    ]);
  });

  it('gives up on a retried answer after the last try and returns it', async () => {
    const r = recorder();
    const out = await retrying(async () => 503, { attempts: 2, backoff, sleep: r.sleep, retryResult: () => true });
    expect(out).toEqual({ ok: false, last: { value: 503 }, attempts: 2, aborted: false });
  });

  it('an abort ends a real wait at once and makes no further try', async () => {
    const stop = new AbortController();
    let tries = 0;
    const t0 = Date.now();
    setTimeout(() => stop.abort(), 30);
    const out = await retrying(
      async () => {
        tries++;
        throw new Error('down');
      },
      { attempts: Infinity, backoff: { baseMs: 60_000, maxMs: 60_000, jitter: 'none' }, signal: stop.signal },
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(tries).toBe(1);
    expect(out).toMatchObject({ ok: false, aborted: true, attempts: 1 });
  });

  it('makes no try when the signal is already aborted', async () => {
    const stop = new AbortController();
    stop.abort();
    let tries = 0;
    const out = await retrying(async () => tries++, { attempts: 3, backoff, signal: stop.signal });
    expect(out).toEqual({ ok: false, last: null, attempts: 0, aborted: true });
    expect(tries).toBe(0);
    expect(await sleep(10_000, stop.signal)).toBe(false);
  });
});
