// A worker thread's share of a large probe run (threads.ts): its own event loop and libuv
// poll, so connects run on the second core. Plain data in, typed arrays out (transferred, not
// copied).
import { parentPort, workerData } from 'node:worker_threads';
import { isPortdriftError } from '../../shared/errors.js';
import { runShard, type ShardHost, type ShardSettings } from './engine.js';
import { connectorFactory } from './connectors.js';

export interface WorkerInput {
  hosts: ShardHost[];
  settings: ShardSettings;
}

export type WorkerMessage =
  | { type: 'progress'; settled: number }
  | { type: 'done'; results: { state: Uint8Array; rtt: Float32Array; attempts: Uint8Array; error?: string }[] }
  | { type: 'error'; code: string | null; message: string };

const port = parentPort!;
const input = workerData as WorkerInput;
const abort = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'abort') abort.abort();
});

const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

runShard(input.hosts, input.settings, connectorFactory(), { signal: abort.signal, onProgress: (settled) => post({ type: 'progress', settled }) }).then(
  ({ results }) => {
    const transfer: ArrayBuffer[] = [];
    for (const r of results) transfer.push(r.state.buffer as ArrayBuffer, r.rtt.buffer as ArrayBuffer, r.attempts.buffer as ArrayBuffer);
    post({ type: 'done', results }, transfer);
    port.close();
  },
  (err: unknown) => {
    post({ type: 'error', code: isPortdriftError(err) ? err.code : null, message: (err as Error)?.message ?? String(err) });
    port.close();
  },
);
