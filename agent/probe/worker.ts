// A worker thread's share of a large probe run (threads.ts): its own event loop and libuv
// poll, so connects run on the second core. The hosts' cursors and result arrays live in
// SharedArrayBuffers: positions are claimed and results written in place.
import { parentPort, workerData } from 'node:worker_threads';
import { isPortdriftError } from '../../shared/errors.js';
import { runShard, type ShardSettings } from './engine.js';
import { unpackHosts, type PackedHosts } from './hosts.js';
import { connectorFactory } from './connectors.js';

export interface WorkerInput {
  hosts: PackedHosts;
  settings: ShardSettings;
}

export type WorkerMessage =
  | { type: 'progress'; settled: number }
  /** Results are already in the hosts' shared arrays; only each host's error travels. */
  | { type: 'done'; errors: (string | undefined)[] }
  | { type: 'error'; code: string | null; message: string };

const port = parentPort!;
const input = workerData as WorkerInput;
const abort = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'abort') abort.abort();
});

const post = (m: WorkerMessage) => port.postMessage(m);

runShard(unpackHosts(input.hosts), input.settings, connectorFactory(), {
  signal: abort.signal,
  onProgress: (settled) => post({ type: 'progress', settled }),
}).then(
  ({ results }) => {
    post({ type: 'done', errors: results.map((r) => r.error) });
    port.close();
  },
  (err: unknown) => {
    post({
      type: 'error',
      code: isPortdriftError(err) ? err.code : null,
      message: (err as Error)?.message ?? String(err),
    });
    port.close();
  },
);
