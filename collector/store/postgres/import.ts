// `portdrift store migrate`'s writing half: the rows of a SQLite store (sqlite-export.ts) into a
// PostgreSQL database, in one transaction, into an empty store only (a copy over a store in use
// would mix two estates' tokens and findings). History keeps its sequence numbers, and the
// sequence continues after them.
import { PortdriftError } from '../../../shared/errors.js';
import type { StoreRows } from '../sqlite-export.js';
import { CARRIED_TABLES } from '../sqlite-export.js';
import { openPool, redactUrl, type PgTargetOptions } from './connect.js';
import { migratePg } from './schema.js';

/** Rows per INSERT statement (each row binds up to 15 parameters; PostgreSQL allows 65,535). */
const CHUNK = 1000;

export async function importIntoPostgres(
  url: string,
  rows: StoreRows,
  o: PgTargetOptions = {},
): Promise<Record<string, number>> {
  const shown = redactUrl(url);
  const pool = await openPool(url, { ...o, poolSize: 1 });
  const c = await pool.connect();
  try {
    await migratePg(c, shown);
    await c.query('BEGIN');
    const used = await c.query(
      'SELECT (SELECT count(*) FROM tokens) + (SELECT count(*) FROM findings) ' +
        '+ (SELECT count(*) FROM history) + (SELECT count(*) FROM batches) AS n',
    );
    if (Number(used.rows[0].n) > 0) {
      throw new PortdriftError(
        'PD_STORE',
        `${shown}: the database already holds a portdrift store (tokens, ` +
          `findings, history or batches); migrate into an empty one`,
      );
    }
    const counts: Record<string, number> = {};
    for (const { table, columns } of CARRIED_TABLES) {
      const list = rows[table] ?? [];
      for (let i = 0; i < list.length; i += CHUNK) {
        const part = list.slice(i, i + CHUNK);
        const values: unknown[] = [];
        const tuples = part.map(
          (r) => `(${columns.map((col) => (values.push(r[col] ?? null), `$${values.length}`)).join(', ')})`,
        );
        await c.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
      }
      counts[table] = list.length;
    }
    await c.query(
      "SELECT setval(pg_get_serial_sequence('history', 'seq'), greatest((SELECT max(seq) FROM history), 1))",
    );
    await c.query('COMMIT');
    return counts;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    if (err instanceof PortdriftError) throw err;
    throw new PortdriftError('PD_STORE', `${shown}: cannot copy the store: ${(err as Error).message}`, { cause: err });
  } finally {
    c.release();
    await pool.end();
  }
}
