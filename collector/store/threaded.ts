// The Store on a worker thread (collector/store/worker.ts owns the SQLite connection). Same
// interface and semantics as SqliteStore — a batch is acknowledged only after the worker's
// transaction committed — but SQL no longer waits behind HTTP parsing and drift evaluations
// on the event loop. Batches cross as columns (columns.ts). If the worker dies, every pending
// and later call fails with PD_STORE: the collector then answers 500 and is restarted by its
// supervisor, as for a broken disk.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PortdriftError, type ErrorCode } from '../../shared/errors.js';
import { tableToObservations, toColumns, transferList, type ObservationTable } from './columns.js';
import type { Observation } from '../../shared/types.js';
import type { SqliteStoreOptions } from './sqlite.js';
import type { IngestResult, ParsedBatch, Store } from './types.js';

export interface Request {
  id: number;
  method: string;
  args: unknown[];
}

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

/** The SqliteStore methods the worker answers (everything of Store but ingestBatch, sent as columns). */
export const CALLABLE: ReadonlySet<string> = new Set([
  'createToken',
  'listTokens',
  'revokeToken',
  'authenticate',
  'enrollSecret',
  'enroll',
  'revokeAgent',
  'rotateAgent',
  'ingestColumns',
  'observations',
  'driftObservations',
  'sweeps',
  'hasBatch',
  'agents',
  'listeners',
  'notePlanServed',
  'findings',
  'finding',
  'applyEvaluation',
  'acknowledge',
  'history',
  'openSeries',
  'addIgnore',
  'ignores',
  'removeIgnore',
  'getMeta',
  'setMeta',
  'prune',
  'stats',
  'integrityCheck',
  'close',
]);

const WORKER = new URL('./worker.js', import.meta.url);

/** The worker runs from compiled JavaScript; from TypeScript sources (tests) it is not there. */
export function threadedStoreAvailable(): boolean {
  return WORKER.protocol === 'file:' && existsSync(fileURLToPath(WORKER));
}

type Method = Exclude<keyof Store, 'schemaVersion' | 'ingestBatch'>;

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below types the prototype methods
export class ThreadedStore implements Store {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private dead: PortdriftError | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly schemaVersion: number,
    file: string,
  ) {
    worker.on('message', (r: Reply) => this.settle(r));
    const die = (why: string) => {
      this.dead ??= new PortdriftError('PD_STORE', `${file}: the store thread ${why}`);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    worker.on('error', (err) => die(`failed: ${err.message}`));
    worker.on('exit', (code) => die(`exited (${code})`));
  }

  static async open(file: string, options: SqliteStoreOptions = {}): Promise<ThreadedStore> {
    const worker = new Worker(WORKER, { workerData: { file, options } });
    const first = await new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!first.ok) {
      await worker.terminate();
      throw new PortdriftError(
        first.error.code,
        first.error.message,
        first.error.details ? { details: first.error.details } : {},
      );
    }
    return new ThreadedStore(worker, first.value as number, file);
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.ok) p.resolve(r.value);
    else
      p.reject(new PortdriftError(r.error.code, r.error.message, r.error.details ? { details: r.error.details } : {}));
  }

  private call<T>(method: string, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies Request, transfer);
    });
  }

  ingestBatch(batch: ParsedBatch, receivedAt: string): Promise<IngestResult> {
    const c = toColumns(batch);
    return this.call('ingestColumns', [c, receivedAt], transferList(c));
  }

  async driftObservations(declared: ReadonlyMap<string, ReadonlySet<number>>): Promise<Observation[]> {
    return tableToObservations(await this.call<ObservationTable>('driftObservationsTable', [declared]));
  }

  async close(): Promise<void> {
    if (this.dead) return;
    await this.call('close', []);
    await this.worker.terminate();
  }
}

// Every other Store method is a plain call to the worker.
for (const m of CALLABLE) {
  if (m === 'close' || m === 'ingestColumns' || m === 'driftObservations') continue;
  (ThreadedStore.prototype as unknown as Record<string, unknown>)[m] = function (
    this: { call: (m: string, a: unknown[]) => Promise<unknown> },
    ...args: unknown[]
  ) {
    return this.call(m, args);
  };
}

// The compiler checks that ThreadedStore has every method of Store through the declaration merge.
export interface ThreadedStore extends Pick<Store, Method> {}
