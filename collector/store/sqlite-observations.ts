// Observations on the SQLite store: batch ingest (one transaction per batch, keyed by agent and
// batch id), the per-agent row cap, agents' counters and listener views, and the reads the drift
// engine makes. SqliteStore delegates here.
import type { Database } from './sqlite-driver.js';
import { parsePortSpec } from '../../shared/ports.js';
import type { Observation } from '../../shared/types.js';
import { STATE_CODES, type ColumnarBatch } from './columns.js';
import { observationRow, runs, sweepRow, type Row } from './rows.js';
import { DEFAULT_MAX_ROWS_PER_AGENT, type IngestAnswer, type IngestResult, type SweepState } from './types.js';

export { DEFAULT_MAX_ROWS_PER_AGENT };

function statements(db: Database) {
  return {
    batchGet: db.prepare('SELECT answer FROM batches WHERE agent = ? AND batch_id = ?'),
    batchInsert: db.prepare('INSERT INTO batches (batch_id, agent, received_at, answer) VALUES (?, ?, ?, ?)'),
    agentUpsert: db.prepare(
      `
      INSERT INTO agents (name, version, first_seen, last_seen, last_batch_id, plan_revision, spool_depth, ` +
        `spool_dropped,
        batches, observations, pod, listeners_at)
      VALUES (@name, @version, @at, @at, @batch, @plan, @depth, @dropped, 1, @n, @pod, @view)
      ON CONFLICT (name) DO UPDATE SET
        version = excluded.version, last_seen = max(last_seen, excluded.last_seen), last_batch_id = ` +
        `excluded.last_batch_id,
        plan_revision = excluded.plan_revision, spool_depth = excluded.spool_depth,
        spool_dropped = spool_dropped + excluded.spool_dropped,
        batches = batches + 1, observations = observations + excluded.observations,
        pod = coalesce(excluded.pod, pod), listeners_at = coalesce(excluded.listeners_at, listeners_at)`,
    ),
    obsUpsert: db.prepare(
      `
      INSERT INTO current_state (agent, host, ip, port, state, rtt_ms, at, service) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (host, ip, port, ` +
        `agent) DO UPDATE SET state = excluded.state, rtt_ms = excluded.rtt_ms, at = ` +
        `excluded.at, service = excluded.service
      WHERE excluded.at >= current_state.at`,
    ),
    obsExists: db.prepare('SELECT 1 FROM current_state WHERE host = ? AND ip = ? AND port = ? AND agent = ?'),
    sweepExists: db.prepare('SELECT 1 FROM sweeps WHERE host = ? AND ip = ? AND agent = ?'),
    rowsOf: db.prepare(`SELECT (SELECT count(*) FROM current_state WHERE agent = ?)
      + (SELECT count(*) FROM sweeps WHERE agent = ?) AS n`),
    closedDelete: db.prepare(
      'DELETE FROM current_state WHERE agent = ? AND host = ? AND ip = ? AND port BETWEEN ? AND ? AND at <= ?',
    ),
    sweepUpsert: db.prepare(
      `
      INSERT INTO sweeps (agent, host, ip, ports, closed, at, error) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (host, ip, agent) DO ` +
        `UPDATE SET ports = excluded.ports, closed = excluded.closed, at = excluded.at, error = excluded.error
      WHERE excluded.at >= sweeps.at`,
    ),
    listenersClear: db.prepare('DELETE FROM listeners WHERE agent = ?'),
    listenerInsert: db.prepare('INSERT OR REPLACE INTO listeners (agent, ip, port, at) VALUES (?, ?, ?, ?)'),
    observations: db.prepare('SELECT agent, host, ip, port, state, rtt_ms, at, service FROM current_state'),
    observationsOf: db.prepare(
      'SELECT agent, host, ip, port, state, rtt_ms, at, service FROM current_state WHERE host = ?',
    ),
    driftOf: db.prepare(`SELECT agent, host, ip, port, state, rtt_ms, at, service FROM current_state
      WHERE host = ? AND (state = 'open' OR port IN (SELECT value FROM json_each(?)))`),
    sweeps: db.prepare('SELECT * FROM sweeps'),
    sweepsOf: db.prepare('SELECT * FROM sweeps WHERE host = ?'),
  };
}

export class SqliteObservations {
  private readonly s;
  private readonly ingestTx: (batch: ColumnarBatch, receivedAt: string) => IngestResult;
  /**
   * Rows per agent, so the cap costs nothing per row while an agent is far below it: `rows` is an
   * upper bound (every record of a batch counted as new) until it nears the cap; then the agent's
   * rows are counted once and tracked exactly, checking each record for an existing row.
   */
  private readonly rowCounts = new Map<string, { rows: number; exact: boolean }>();

  constructor(
    db: Database,
    private readonly maxRows: number,
  ) {
    this.s = statements(db);
    this.ingestTx = db.transaction((batch: ColumnarBatch, receivedAt: string) => this.ingestInside(batch, receivedAt));
  }

  ingest(batch: ColumnarBatch, receivedAt: string): IngestResult {
    try {
      return this.ingestTx(batch, receivedAt);
    } catch (err) {
      // Rolled back: the row counts may have moved with it; count again when next needed.
      this.rowCounts.clear();
      throw err;
    }
  }

  /** Forget the row counts (rows were deleted behind them: pruning). */
  forgetCounts(): void {
    this.rowCounts.clear();
  }

  /** The agent's row count, counted again when an upper bound would pass the cap. */
  private rowState(agent: string, incoming: number): { rows: number; exact: boolean } {
    let st = this.rowCounts.get(agent);
    if (!st || (!st.exact && st.rows + incoming > this.maxRows)) {
      st = { rows: (this.s.rowsOf.get(agent, agent) as { n: number }).n, exact: true };
      this.rowCounts.set(agent, st);
    }
    return st;
  }

  private ingestInside(batch: ColumnarBatch, receivedAt: string): IngestResult {
    const h = batch.header;
    const seen = this.s.batchGet.get(h.agent, h.batchId) as { answer: string } | undefined;
    if (seen) return { answer: JSON.parse(seen.answer) as IngestAnswer, replayed: true };
    const cols = batch.observations;
    const n = cols.port.length;
    const str = cols.strings;
    // The row cap: below it (the usual case) records are written as they come; near it each
    // record is checked for an existing row, and a new row past the cap is not stored.
    const st = this.rowState(h.agent, batch.sweeps.length + n);
    const checked = st.rows + batch.sweeps.length + n > this.maxRows;
    let capped = 0;
    const admit = (exists: boolean): boolean => {
      if (exists) return true;
      if (st.rows >= this.maxRows) return (capped++, false);
      st.rows++;
      return true;
    };
    let sweeps = 0;
    for (const sw of batch.sweeps) {
      const ip = sw.ip ?? '';
      if (checked && !admit(this.s.sweepExists.get(sw.host, ip, h.agent) !== undefined)) continue;
      sweeps++;
      this.s.sweepUpsert.run(h.agent, sw.host, ip, sw.ports, sw.closed, sw.at, sw.error ?? null);
      if (sw.ip === null || sw.closed === '') continue;
      // Closed ports of this sweep supersede older results for them (latest result per port).
      for (const [lo, hi] of runs(parsePortSpec(sw.closed))) {
        st.rows -= this.s.closedDelete.run(h.agent, sw.host, ip, lo, hi, sw.at).changes;
      }
    }
    const up = this.s.obsUpsert;
    let stored = 0;
    for (let k = 0; k < n; k++) {
      const host = str[cols.host[k]!];
      const ip = str[cols.ip[k]!];
      if (checked && !admit(this.s.obsExists.get(host, ip, cols.port[k], h.agent) !== undefined)) continue;
      stored++;
      const rtt = cols.rtt[k]!;
      const service = cols.service[k]!;
      const state = STATE_CODES[cols.state[k]!];
      const at = str[cols.at[k]!];
      const rttMs = Number.isNaN(rtt) ? null : rtt;
      up.run(h.agent, host, ip, cols.port[k], state, rttMs, at, service === 0 ? null : str[service]);
    }
    if (!checked) {
      st.rows += sweeps + stored;
      st.exact = false;
    }
    const answer: IngestAnswer = {
      batchId: h.batchId,
      agent: h.agent,
      receivedAt,
      sweeps,
      observations: stored,
      listeners: batch.listeners.length,
      outsideModel: batch.outsideModel ?? 0,
      capped,
    };
    this.s.batchInsert.run(h.batchId, h.agent, receivedAt, JSON.stringify(answer));
    const header = { name: h.agent, version: h.agentVersion, at: receivedAt, batch: h.batchId, plan: h.planRevision };
    const view = batch.listeners.length > 0 || h.listenerView === true ? receivedAt : null;
    const pod = h.pod ? JSON.stringify(h.pod) : null;
    this.s.agentUpsert.run({ ...header, depth: h.spoolDepth, dropped: h.spoolDropped, n: stored, pod, view });
    if (view !== null) {
      // The agent's whole current view of its namespace (possibly empty, with listenerView).
      this.s.listenersClear.run(h.agent);
      for (const l of batch.listeners) this.s.listenerInsert.run(h.agent, l.ip, l.port, l.at);
    }
    return { answer, replayed: false };
  }

  hasBatch(agent: string, batchId: string): boolean {
    return this.s.batchGet.get(agent, batchId) !== undefined;
  }

  observations(hosts?: ReadonlySet<string>): Observation[] {
    // By host through the index: the drift engine needs only the model's hosts, and the
    // table may hold far more (hosts that left the IaC, discovery on other addresses).
    const rows = hosts
      ? [...hosts].flatMap((h) => this.s.observationsOf.all(h) as Row[])
      : (this.s.observations.all() as Row[]);
    return rows.map(observationRow);
  }

  driftObservations(declared: ReadonlyMap<string, ReadonlySet<number>>): Observation[] {
    const out: Observation[] = [];
    for (const [host, ports] of declared) {
      for (const r of this.s.driftOf.all(host, JSON.stringify([...ports])) as Row[]) out.push(observationRow(r));
    }
    return out;
  }

  sweeps(hosts?: ReadonlySet<string>): SweepState[] {
    return (hosts ? [...hosts].flatMap((h) => this.s.sweepsOf.all(h) as Row[]) : (this.s.sweeps.all() as Row[])).map(
      sweepRow,
    );
  }
}
