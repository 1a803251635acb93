// The store's worker thread: it owns the SQLite connection, so SQL runs beside the HTTP thread
// (parsing, validation, drift) instead of after it — on two cores ingest becomes a pipeline.
// Requests are method calls of SqliteStore by name; errors go back as PortdriftError fields.
import { parentPort, workerData } from 'node:worker_threads';
import { isPortdriftError } from '../../shared/errors.js';
import { observationsToTable, tableTransfer } from './columns.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import { CALLABLE, type Reply, type Request } from './threaded.js';

const port = parentPort!;
const { file, options } = workerData as { file: string; options: SqliteStoreOptions };

function fail(id: number, err: unknown): Reply {
  if (isPortdriftError(err))
    return {
      id,
      ok: false,
      error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
    };
  return { id, ok: false, error: { code: 'PD_STORE', message: `${file}: ${(err as Error)?.message ?? String(err)}` } };
}

let store!: SqliteStore;
try {
  store = new SqliteStore(file, options);
  port.postMessage({ id: 0, ok: true, value: store.schemaVersion } satisfies Reply);
  port.on('message', onMessage);
} catch (err) {
  // Closing the port ends the thread: nothing else keeps it alive.
  port.postMessage(fail(0, err));
  port.close();
}

function onMessage(m: Request): void {
  if (m.method === 'driftObservationsTable') {
    // The drift input goes back as columns: cloning 100k objects costs more than reading them.
    store.driftObservations(m.args[0] as Map<string, Set<number>>).then(
      (list) => {
        const value = observationsToTable(list);
        port.postMessage({ id: m.id, ok: true, value } satisfies Reply, tableTransfer(value));
      },
      (err: unknown) => port.postMessage(fail(m.id, err)),
    );
    return;
  }
  if (!CALLABLE.has(m.method)) return port.postMessage(fail(m.id, new Error(`no store method ${m.method}`)));
  const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m.method]!;
  fn.apply(store, m.args).then(
    (value) => {
      port.postMessage({ id: m.id, ok: true, value } satisfies Reply);
      if (m.method === 'close') port.close();
    },
    (err: unknown) => port.postMessage(fail(m.id, err)),
  );
}
