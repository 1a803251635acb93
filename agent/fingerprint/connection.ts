// One attempt on a fresh connection: connect, send the hello (or nothing, for a banner), read
// until the answer is recognised, is clearly not recognisable, or a bound is reached. Reads go
// through a fixed 1 KiB buffer (net's `onread`), so an endless sender costs at most maxBytes
// plus one buffer, never a 64 KiB chunk at a time; the timer ends a slow one. Every socket
// error ends the attempt as data: nothing here throws.
import { connect } from 'node:net';
import type { Fingerprint } from '../../shared/types.js';
import type { AttemptResult, Limits, Match } from './types.js';

const READ_CHUNK = 1024;

export interface ExchangeInput {
  ip: string;
  port: number;
  /** Bytes to send once connected; null to wait for a banner. */
  hello: Buffer | null;
  /** All modules' matchers, combined (registry.ts recogniser). */
  recognise: (data: Buffer, done: boolean) => Match;
  limits: Limits;
  /** For a banner wait: how long to wait for the first byte (the attempt timeout applies after it). */
  firstByteMs?: number;
}

export function exchange(input: ExchangeInput): Promise<AttemptResult> {
  const { limits } = input;
  return new Promise((resolve) => {
    const started = performance.now();
    const untilDeadline = () => Math.max(0, limits.deadline - performance.now());
    const chunks: Buffer[] = [];
    let kept = 0;
    let bytes = 0;
    let finished = false;
    const data = () => Buffer.concat(chunks, kept);

    const finish = (fingerprint: Fingerprint | null, end?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ fingerprint, data: data(), bytes, ...(end ? { end } : {}) });
    };
    /** No more bytes will come: the last word goes to the matchers with done = true. */
    const conclude = (end: string) => {
      const m = kept > 0 ? input.recognise(data(), true) : null;
      finish(m && m !== 'more' ? m : null, end);
    };

    const socket = connect({
      host: input.ip,
      port: input.port,
      onread: {
        buffer: Buffer.allocUnsafe(READ_CHUNK),
        callback: (n: number, buf: Uint8Array) => {
          if (finished) return false;
          bytes += n;
          const take = Math.min(n, limits.maxBytes - kept);
          if (take > 0) {
            chunks.push(Buffer.from(buf.subarray(0, take)));
            kept += take;
          }
          // The first byte of a banner: from now on the attempt's own timeout applies.
          if (bytes === n && input.firstByteMs !== undefined) {
            arm(Math.min(limits.timeoutMs - (performance.now() - started), untilDeadline()));
          }
          const m = input.recognise(data(), false);
          if (m === 'more') {
            if (kept >= limits.maxBytes) conclude(`read cap of ${limits.maxBytes} bytes reached`);
          } else if (m) finish(m);
          else finish(null, bytes > limits.maxBytes ? `read cap of ${limits.maxBytes} bytes reached` : 'unrecognised');
          return !finished;
        },
      },
    });
    let timer: NodeJS.Timeout;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => conclude(bytes === 0 ? 'silent' : 'timeout'), Math.max(0, ms));
    };
    arm(Math.min(input.firstByteMs ?? limits.timeoutMs, limits.timeoutMs, untilDeadline()));
    const onAbort = () => finish(null, 'aborted');
    limits.signal?.addEventListener('abort', onAbort, { once: true });

    socket.once('connect', () => {
      if (input.hello && !finished) socket.write(input.hello);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => conclude(err.code ?? err.message));
    socket.on('end', () => conclude('closed'));
    socket.on('close', () => conclude('closed'));
  });
}
