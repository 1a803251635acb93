// Runs the address jobs of a probe run on one or more event loops. A connect probe costs a few
// microseconds of user time and about as much kernel time, all on the thread that owns the
// socket; a large sweep saturates one core. So large runs are split: this thread takes one
// shard and each worker thread (worker.ts) another. With at least as many addresses as
// threads, whole addresses go to one shard (so each address keeps one RTT estimator, cwnd and
// rate bucket); with fewer, each address's probe order is dealt round-robin across the shards
// and its window, cwnd and rate are divided between them. Small runs stay on this thread: a
// worker costs ~30 ms and some 10 MB to start. (Measured: this thread probing plus one worker
// peaks ~8 MB lower than two workers with this thread idle, at the same speed.)
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PortdriftError, type ErrorCode } from '../../shared/errors.js';
import { connectorFactory } from './connectors.js';
import { runShard, type ShardHooks, type ShardHost, type ShardHostResult, type ShardSettings } from './engine.js';
import type { AddressJob } from './order.js';
import type { WorkerInput, WorkerMessage } from './worker.js';

/** Below this many probes one thread is faster than paying for a worker. */
export const THREAD_THRESHOLD = 8192;
export const MAX_THREADS = 2;

export interface RunHooks extends ShardHooks {
  threads?: number;
}

/** The compiled worker script; absent when running from TypeScript sources (tests): one thread then. */
const workerUrl = new URL('./worker.js', import.meta.url);
const workerAvailable = () => workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));

export function threadCount(probes: number, requested?: number): number {
  if (!workerAvailable()) return 1;
  if (requested !== undefined) return Math.max(1, Math.min(requested, 16));
  return probes >= THREAD_THRESHOLD ? Math.max(1, Math.min(MAX_THREADS, availableParallelism())) : 1;
}

interface Piece {
  job: number;
  /** Positions in the job's probe order this piece covers: offset, offset + stride, … */
  offset: number;
  stride: number;
}

/** Assign jobs (or, with fewer jobs than shards, interleaved slices of them) to shards. */
export function splitJobs(jobs: readonly AddressJob[], shards: number): Piece[][] {
  const out: Piece[][] = Array.from({ length: shards }, () => []);
  if (jobs.length >= shards) {
    const load = new Array<number>(shards).fill(0);
    const order = jobs.map((_, i) => i).sort((a, b) => jobs[b]!.ports.length - jobs[a]!.ports.length);
    for (const j of order) {
      const k = load.indexOf(Math.min(...load));
      out[k]!.push({ job: j, offset: 0, stride: 1 });
      load[k]! += jobs[j]!.ports.length;
    }
  } else {
    jobs.forEach((_, j) => {
      for (let k = 0; k < shards; k++) out[k]!.push({ job: j, offset: k, stride: shards });
    });
  }
  return out.filter((s) => s.length > 0);
}

function pieceHost(job: AddressJob, p: Piece): ShardHost {
  if (p.stride === 1) return { ip: job.ip, family: job.family, ports: job.ports };
  const ports = new Uint16Array(Math.ceil((job.ports.length - p.offset) / p.stride));
  for (let i = 0, pos = p.offset; pos < job.ports.length; i++, pos += p.stride) ports[i] = job.ports[pos]!;
  return { ip: job.ip, family: job.family, ports };
}

function shardSettings(s: ShardSettings, shards: number, sliced: boolean): ShardSettings {
  if (shards === 1) return s;
  const div = (n: number, min: number) => Math.max(min, Math.floor(n / shards));
  return {
    ...s,
    window: div(s.window, 1),
    ...(sliced ? { perHostRate: s.perHostRate / shards, cwndInit: div(s.cwndInit, 1), cwndMin: div(s.cwndMin, 1), cwndMax: div(s.cwndMax, 1) } : {}),
  };
}

function runWorker(input: WorkerInput, hooks: ShardHooks, onSettled: (n: number) => void): Promise<ShardHostResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: input });
    const onAbort = () => worker.postMessage({ type: 'abort' });
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    if (hooks.signal?.aborted) onAbort();
    let settledResult = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onSettled(m.settled);
      else if (m.type === 'done') {
        settledResult = true;
        resolve(m.results);
      } else {
        settledResult = true;
        reject(m.code ? new PortdriftError(m.code as ErrorCode, m.message) : new Error(`probe worker failed: ${m.message}`));
      }
    });
    worker.on('error', (err) => {
      settledResult = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      hooks.signal?.removeEventListener('abort', onAbort);
      if (!settledResult) reject(new Error(`probe worker exited with code ${code} before reporting`));
    });
  });
}

export async function runJobs(jobs: readonly AddressJob[], settings: ShardSettings, hooks: RunHooks): Promise<ShardHostResult[]> {
  const total = jobs.reduce((n, j) => n + j.ports.length, 0);
  const threads = threadCount(total, hooks.threads);
  if (threads === 1) return (await runShard(jobs, settings, connectorFactory(), hooks)).results;

  // If one shard fails the run fails; the others are told to stop so nothing keeps probing.
  const inner = new AbortController();
  const relay = () => inner.abort();
  hooks.signal?.addEventListener('abort', relay, { once: true });
  if (hooks.signal?.aborted) inner.abort();
  const shards = splitJobs(jobs, threads);
  const sliced = jobs.length < threads;
  const settled = new Array<number>(shards.length).fill(0);
  const progress = (k: number) => (n: number) => {
    settled[k] = n;
    hooks.onProgress?.(settled.reduce((a, b) => a + b, 0));
  };
  const runs = shards.map((pieces, k) => {
    const hosts = pieces.map((p) => pieceHost(jobs[p.job]!, p));
    const s = shardSettings(settings, shards.length, sliced);
    const run = k === 0 ? runShard(hosts, s, connectorFactory(), { signal: inner.signal, onProgress: progress(0) }).then((r) => r.results) : runWorker({ hosts, settings: s }, { signal: inner.signal }, progress(k));
    return run.catch((err: unknown) => {
      inner.abort();
      throw err;
    });
  });
  const all = await Promise.allSettled(runs);
  hooks.signal?.removeEventListener('abort', relay);
  const failed = all.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const parts = all.map((r) => (r as PromiseFulfilledResult<ShardHostResult[]>).value);

  // Put the pieces back into each job's probe order.
  const merged: ShardHostResult[] = jobs.map((j) => ({ state: new Uint8Array(j.ports.length), rtt: new Float32Array(j.ports.length).fill(NaN), attempts: new Uint8Array(j.ports.length) }));
  shards.forEach((pieces, k) =>
    pieces.forEach((p, i) => {
      const src = parts[k]![i]!;
      const dst = merged[p.job]!;
      for (let n = 0, pos = p.offset; n < src.state.length; n++, pos += p.stride) {
        dst.state[pos] = src.state[n]!;
        dst.rtt[pos] = src.rtt[n]!;
        dst.attempts[pos] = src.attempts[n]!;
      }
      if (src.error) dst.error = dst.error ? `${dst.error}; ${src.error}` : src.error;
    }),
  );
  return merged;
}
