// The PostgreSQL store's observations: batches in (ingest.ts, with the per-agent row counts the
// row cap reads), the current state, sweeps and batch ids out, and their retention. Errors are
// the caller's (store.ts makes them PD_STORE).
import type pg from 'pg';
import type { Observation } from '../../../shared/types.js';
import { observationRow, sweepRow } from '../rows.js';
import type { IngestResult, ParsedBatch, PruneCutoffs, SweepState } from '../types.js';
import { ingestPg, type RowCounts } from './ingest.js';

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
    const r = hosts
      ? await this.pool.query(`SELECT ${OBS_COLUMNS} FROM current_state WHERE host = ANY($1::text[]) ${order}`, [
          [...hosts],
        ])
      : await this.pool.query(`SELECT ${OBS_COLUMNS} FROM current_state ${order}`);
    return r.rows.map(observationRow);
  }

  async driftObservations(declared: ReadonlyMap<string, ReadonlySet<number>>): Promise<Observation[]> {
    const hosts = [...declared.keys()];
    const dh: string[] = [];
    const dp: number[] = [];
    for (const [h, ports] of declared) for (const p of ports) dh.push(h), dp.push(p);
    const { rows } = await this.pool.query(
      `SELECT ${OBS_COLUMNS} FROM current_state WHERE host = ANY($1::text[])
          AND (state = 'open' OR (host, port) IN (SELECT * FROM unnest($2::text[], $3::int[])))`,
      [hosts, dh, dp],
    );
    return rows.map(observationRow);
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
        for (const t of ['current_state', 'sweeps', 'listeners'])
          rows += await n(`DELETE FROM ${t} WHERE at < $1`, o.rowsBefore);
      }
      return { batches, series, rows };
    });
  }
}
