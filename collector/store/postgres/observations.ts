// The PostgreSQL store's observations: batches in (ingest.ts, with the per-agent row counts the
// row cap reads), the current state (with last-seen times from seen.ts), sweeps and batch ids out,
// and their retention. Errors are the caller's (store.ts makes them PD_STORE).
import type pg from 'pg';
import type { Observation } from '../../../shared/types.js';
import { observationRow, sweepRow } from '../rows.js';
import type { IngestResult, ParsedBatch, PruneCutoffs, SweepState } from '../types.js';
import { ingestPg, type RowCounts } from './ingest.js';
import { SEEN_COLUMNS, SeenIndex } from './seen.js';

type Tx = <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;

const OBS_COLUMNS = 'agent, host, ip, port, state, rtt_ms, at, service';

export class PgObservations {
  private readonly counts: RowCounts = new Map();

  constructor(
    private readonly pool: pg.Pool,
    private readonly tx: Tx,
    private readonly maxRows: number,
  ) {}

  async ingestBatch(batch: ParsedBatch, receivedAt: string): Promise<IngestResult> {
    try {
      return await this.tx((c) => ingestPg(c, batch, receivedAt, this.maxRows, this.counts));
    } catch (err) {
      // Rolled back: the row counts may have moved with it; count again when next needed.
      this.counts.clear();
      throw err;
    }
  }

  async hasBatch(agent: string, batchId: string): Promise<boolean> {
    const sql = "SELECT 1 FROM batches WHERE agent = $1 AND batch_id = $2 AND answer <> ''";
    return ((await this.pool.query(sql, [agent, batchId])).rowCount ?? 0) > 0;
  }

  async observations(hosts?: ReadonlySet<string>): Promise<Observation[]> {
    const order = 'ORDER BY host, ip, port, agent';
    return this.withSeen(hosts ? [...hosts] : null, (c) =>
      hosts
        ? c.query(`SELECT ${OBS_COLUMNS} FROM current_state WHERE host = ANY($1::text[]) ${order}`, [[...hosts]])
        : c.query(`SELECT ${OBS_COLUMNS} FROM current_state ${order}`),
    );
  }

  async driftObservations(declared: ReadonlyMap<string, ReadonlySet<number>>): Promise<Observation[]> {
    const hosts = [...declared.keys()];
    const dh: string[] = [];
    const dp: number[] = [];
    for (const [h, ports] of declared) for (const p of ports) dh.push(h), dp.push(p);
    return this.withSeen(hosts, (c) =>
      c.query(
        `SELECT ${OBS_COLUMNS} FROM current_state WHERE host = ANY($1::text[])
          AND (state = 'open' OR (host, port) IN (SELECT * FROM unnest($2::text[], $3::int[])))`,
        [hosts, dh, dp],
      ),
    );
  }

  /**
   * Rows with their last-seen times (seen.ts): the rows and the generations of their hosts are
   * read in one snapshot, so a batch stored meanwhile is seen whole or not at all.
   */
  private async withSeen(
    hosts: string[] | null,
    read: (c: pg.PoolClient) => Promise<pg.QueryResult>,
  ): Promise<Observation[]> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await read(c);
      const g = hosts
        ? await c.query(`SELECT ${SEEN_COLUMNS} FROM seen WHERE host = ANY($1::text[])`, [hosts])
        : await c.query(`SELECT ${SEEN_COLUMNS} FROM seen`);
      await c.query('COMMIT');
      const seen = new SeenIndex(g.rows);
      return rows.map((r) => {
        const o = observationRow(r);
        o.at = seen.lastSeen(o.agent, o.host, o.ip, o.port, o.at);
        return o;
      });
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async sweeps(hosts?: ReadonlySet<string>): Promise<SweepState[]> {
    const r = hosts
      ? await this.pool.query('SELECT * FROM sweeps WHERE host = ANY($1::text[]) ORDER BY host, ip, agent', [
          [...hosts],
        ])
      : await this.pool.query('SELECT * FROM sweeps ORDER BY host, ip, agent');
    return r.rows.map(sweepRow);
  }

  prune(o: PruneCutoffs): Promise<{ batches: number; series: number; rows: number }> {
    this.counts.clear();
    return this.tx(async (c) => {
      const n = async (sql: string, at: string) => (await c.query(sql, [at])).rowCount ?? 0;
      const batches = await n('DELETE FROM batches WHERE received_at < $1', o.batchesBefore);
      const series = await n('DELETE FROM evaluations WHERE at < $1', o.seriesBefore);
      // Transitions are history of the observations: they go with the series' retention.
      await n('DELETE FROM transitions WHERE at < $1', o.seriesBefore);
      let rows = 0;
      if (o.rowsBefore !== undefined) {
        // A result row goes when its port was last seen before the cut-off: its own time and
        // every generation holding it (seen.ts) are older. Addresses without a later generation
        // first, then the ports that later generations of their address do not hold. (A batch
        // stored meanwhile that repeats such a port, unseen since before the cut-off, judged it
        // from its row: if the row goes here, the port's next result brings it back as new.)
        rows += await n(
          `DELETE FROM current_state c WHERE c.at < $1 AND NOT EXISTS (SELECT 1 FROM seen s
            WHERE s.host = c.host AND s.ip = c.ip AND s.agent = c.agent AND s.at >= $1)`,
          o.rowsBefore,
        );
        rows += await n(
          `DELETE FROM current_state c USING (SELECT agent, host, ip, range_agg(r) AS ports
              FROM seen s, unnest(s.ports) AS r WHERE s.at >= $1 GROUP BY agent, host, ip) k
            WHERE c.host = k.host AND c.ip = k.ip AND c.agent = k.agent AND c.at < $1 AND NOT k.ports @> c.port`,
          o.rowsBefore,
        );
        await n('DELETE FROM seen WHERE at < $1', o.rowsBefore);
        for (const t of ['sweeps', 'listeners']) rows += await n(`DELETE FROM ${t} WHERE at < $1`, o.rowsBefore);
      }
      return { batches, series, rows };
    });
  }
}
