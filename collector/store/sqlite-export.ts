// The rows `portdrift store migrate` carries from a SQLite store to another store: everything an
// operator made or the lifecycle decided (tokens, findings with their acks, history, ignore rules,
// the open-count series, agents, meta). Observations are not carried: the agents' next sweeps
// bring the current state back within one interval.
import { Database } from './sqlite-driver.js';
import { PortdriftError } from '../../shared/errors.js';
import { LATEST_SCHEMA } from './migrations.js';
import type { Row } from './rows.js';

/** Tables in the order they are written, and the columns both schemas share. */
export const CARRIED_TABLES: ReadonlyArray<{ table: string; columns: readonly string[] }> = [
  {
    table: 'tokens',
    columns: [
      'id',
      'name',
      'role',
      'hash',
      'created_at',
      'revoked_at',
      'last_used_at',
      'scope',
      'expires_at',
      'max_uses',
      'uses',
      'enrolled_by',
      'identity',
      'rotate_by',
      'predecessor',
    ],
  },
  {
    table: 'agents',
    columns: [
      'name',
      'version',
      'first_seen',
      'last_seen',
      'last_batch_id',
      'plan_revision',
      'spool_depth',
      'spool_dropped',
      'batches',
      'observations',
      'interval_ms',
    ],
  },
  { table: 'findings', columns: ['id', 'status', 'kind', 'severity', 'present', 'absent', 'data', 'ack'] },
  {
    table: 'history',
    columns: ['seq', 'at', 'finding_id', 'kind', 'severity', 'resource', 'host', 'port', 'event', 'detail'],
  },
  { table: 'evaluations', columns: ['at', 'open_count', 'revision'] },
  { table: 'ignores', columns: ['id', 'resource', 'host', 'port', 'kind', 'reason', 'by', 'created_at', 'expires_at'] },
  { table: 'meta', columns: ['key', 'value'] },
];

export type StoreRows = Record<string, Row[]>;

/** Every carried row of the SQLite store `file` (read-only; the file must exist and be current). */
export function exportSqlite(file: string): StoreRows {
  let db: Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new PortdriftError('PD_STORE', `${file}: cannot open the store: ${(err as Error).message}`, { cause: err });
  }
  try {
    const v = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
    if (v !== LATEST_SCHEMA) {
      throw new PortdriftError(
        'PD_STORE_SCHEMA',
        `${file}: schema version ${v}, not ${LATEST_SCHEMA}: open it once with this ` +
          `portdrift (\`portdrift token list --data ${file}\`) to migrate it, then copy it`,
      );
    }
    const out: StoreRows = {};
    // One read transaction: a collector writing the file meanwhile cannot tear the copy.
    db.transaction(() => {
      for (const { table, columns } of CARRIED_TABLES) {
        out[table] = db.prepare(`SELECT ${columns.join(', ')} FROM ${table}`).all() as Row[];
      }
    })();
    return out;
  } catch (err) {
    if (err instanceof PortdriftError) throw err;
    throw new PortdriftError('PD_STORE', `${file}: cannot read the store: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}
