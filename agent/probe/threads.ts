// Runs the address jobs of a probe run on one or more event loops. A connect probe costs a few
// microseconds of user time and about as much kernel time, all on the thread that owns the
// socket, so a large sweep saturates one core; large runs therefore also run in a worker thread
// (worker.ts). Every thread probes every address: positions of each address's probe order are
// claimed in chunks from a shared cursor and results are written straight into shared arrays,
// so the work balances itself when one thread gets less CPU (a loaded machine) and nothing
// needs merging. Each thread keeps its own RTT estimator per address and gets its share of
// the window, of each address's congestion window and of its rate. Small runs stay on this
// thread: a worker costs ~30 ms and some 10 MB to start. (Measured: this thread probing plus
// one worker peaks ~8 MB lower than two workers with this thread idle, at the same speed.)
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PortdriftError, type ErrorCode } from '../../shared/errors.js';
import { connectorFactory } from './connectors.js';
import { runShard, type ShardHooks, type ShardHostResult, type ShardSettings } from './engine.js';
import { packHosts, unpackHosts } from './hosts.js';
import type { AddressJob } from './order.js';
import type { ShardHost } from './shard-types.js';
import type { WorkerInput, WorkerMessage } from './worker.js';

/** Below this many probes one thread is faster than paying for a worker. */
export const THREAD_THRESHOLD = 8192;
export const MAX_THREADS = 2;

export interface RunHooks extends ShardHooks {
  threads?: number;
  /** The per-address arrays the run writes its verdicts into, in job order, before it starts. */
  onStart?: (hosts: readonly ShardHost[]) => void;
}

/** The compiled worker script; absent when running from TypeScript sources (tests): one thread then. */
const workerUrl = new URL('./worker.js', import.meta.url);
const workerAvailable = () => workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));

export function threadCount(probes: number, requested?: number): number {
  if (!workerAvailable()) return 1;
  if (requested !== undefined) return Math.max(1, Math.min(requested, 16));
  return probes >= THREAD_THRESHOLD ? Math.max(1, Math.min(MAX_THREADS, availableParallelism())) : 1;
}

/** One thread's share of the settings when `threads` threads probe every address. */
export function shareSettings(s: ShardSettings, threads: number): ShardSettings {
  if (threads === 1) return s;
  const div = (n: number) => Math.max(1, Math.floor(n / threads));
  return {
    ...s,
    window: div(s.window),
    perHostRate: s.perHostRate / threads,
    ...(s.rate !== undefined ? { rate: s.rate / threads } : {}),
    cwndInit: div(s.cwndInit),
    cwndMin: div(s.cwndMin),
    cwndMax: div(s.cwndMax),
  };
}

function runWorker(
  input: WorkerInput,
  signal: AbortSignal,
  onSettled: (n: number) => void,
): Promise<(string | undefined)[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: input });
    const onAbort = () => worker.postMessage({ type: 'abort' });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    let reported = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onSettled(m.settled);
      else if (m.type === 'done') {
        reported = true;
        resolve(m.errors);
      } else {
        reported = true;
        reject(
          m.code ? new PortdriftError(m.code as ErrorCode, m.message) : new Error(`probe worker failed: ${m.message}`),
        );
      }
    });
    worker.on('error', (err) => {
      reported = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (!reported) reject(new Error(`probe worker exited with code ${code} before reporting`));
    });
  });
}

export async function runJobs(
  jobs: readonly AddressJob[],
  settings: ShardSettings,
  hooks: RunHooks,
): Promise<ShardHostResult[]> {
  const total = jobs.reduce((n, j) => n + j.ports.length, 0);
  const threads = threadCount(total, hooks.threads);
  const packed = packHosts(jobs, threads > 1);
  const hosts = unpackHosts(packed);
  hooks.onStart?.(hosts);
  if (threads === 1) return (await runShard(hosts, settings, connectorFactory(), hooks)).results;

  // If one thread fails the run fails; the others are told to stop so nothing keeps probing.
  const inner = new AbortController();
  const relay = () => inner.abort();
  hooks.signal?.addEventListener('abort', relay, { once: true });
  if (hooks.signal?.aborted) inner.abort();
  const settled = new Array<number>(threads).fill(0);
  const progress = (k: number) => (n: number) => {
    settled[k] = n;
    hooks.onProgress?.(settled.reduce((a, b) => a + b, 0));
  };
  const share = shareSettings(settings, threads);
  const runs = Array.from({ length: threads }, (_, k) => {
    const run =
      k === 0
        ? runShard(hosts, share, connectorFactory(), { signal: inner.signal, onProgress: progress(0) }).then((r) =>
            r.results.map((x) => x.error),
          )
        : runWorker({ hosts: packed, settings: share }, inner.signal, progress(k));
    return run.catch((err: unknown) => {
      inner.abort();
      throw err;
    });
  });
  const all = await Promise.allSettled(runs);
  hooks.signal?.removeEventListener('abort', relay);
  const failed = all.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const errors = all.map((r) => (r as PromiseFulfilledResult<(string | undefined)[]>).value);
  return hosts.map((h, i) => {
    const e = [...new Set(errors.map((list) => list[i]).filter((x): x is string => x !== undefined))];
    return { state: h.state, rtt: h.rtt, attempts: h.attempts, ...(e.length ? { error: e.join('; ') } : {}) };
  });
}
