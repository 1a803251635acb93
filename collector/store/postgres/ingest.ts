// Batch ingest on PostgreSQL: one transaction per batch, a few statements per batch whatever its
// size (arrays through unnest), never one round trip per observation.
// - Idempotency in the database: the batch's key row is inserted first. A replica that retries
//   the same batch meanwhile waits on that row, then finds it and answers the first answer.
// - One agent's batches are stored one at a time across replicas (an advisory lock per agent):
//   what a batch changes is decided from the rows it reads, so they must not move meanwhile.
// - Database writes follow the change rate, not the probe rate: a result that repeats its port's
//   state and service does not touch the port's row; its port joins the generation of its address
//   and time (seen.ts: one row per address and sweep). A changed result (or a new port, or a port
//   a sweep found closed) rewrites its row and writes one transitions row.
// - Rows are sorted by key before writing, so row locks are always taken in the same order.
import type pg from 'pg';
import { parsePortSpec } from '../../../shared/ports.js';
import type { ObservationRecord } from '../../../shared/types.js';
import { num, runs } from '../rows.js';
import type { IngestAnswer, IngestResult, ParsedBatch } from '../types.js';
import { writeRecords } from './current.js';

const LOCK_AGENT = "SELECT pg_advisory_xact_lock(hashtextextended('portdrift.ingest/' || $1, 0))";

// A row is superseded by a closed sweep unless its port was seen later (its row or a generation).
const DELETE_CLOSED =
  `
  WITH d AS (
    DELETE FROM current_state c USING unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::text[]) AS r(host, ` +
  `ip, lo, hi, at)
    WHERE c.agent = $1 AND c.host = r.host AND c.ip = r.ip AND c.port BETWEEN r.lo AND r.hi AND c.at <= r.at
      AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.host = c.host AND s.ip = c.ip AND s.agent = $1 AND s.at > r.at
        AND s.ports @> c.port)
    RETURNING c.host, c.ip, c.port, c.state, r.at
  ), t AS (
    INSERT INTO transitions (at, agent, host, ip, port, from_state, to_state)
      SELECT at, $1, host, ip, port, state, 'closed' FROM d
  ), g AS (
    -- A deleted port leaves its generations: a later new row of it starts its own last-seen time.
    UPDATE seen s SET ports = s.ports - x.m
    FROM (SELECT host, ip, range_agg(int4range(port, port, '[]')) AS m FROM d GROUP BY host, ip) x
    WHERE s.host = x.host AND s.ip = x.ip AND s.agent = $1 AND s.ports && x.m
  )
  SELECT count(*) AS n FROM d`;

const UPSERT_SWEEPS = `
  INSERT INTO sweeps AS s (agent, host, ip, ports, closed, at, error)
    SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
  ON CONFLICT (host, ip, agent) DO UPDATE SET ports = excluded.ports, closed = excluded.closed, at = excluded.at,
    error = excluded.error
  WHERE excluded.at >= s.at`;

const UPSERT_AGENT = `
  INSERT INTO agents (name, version, first_seen, last_seen, last_batch_id, plan_revision, spool_depth, spool_dropped,
    batches, observations, pod, listeners_at)
  VALUES ($1, $2, $3, $3, $4, $5, $6, $7, 1, $8, $9, $10)
  ON CONFLICT (name) DO UPDATE SET
    version = excluded.version, last_seen = greatest(agents.last_seen, excluded.last_seen),
    last_batch_id = excluded.last_batch_id, plan_revision = excluded.plan_revision, spool_depth = excluded.spool_depth,
    spool_dropped = agents.spool_dropped + excluded.spool_dropped,
    batches = agents.batches + 1, observations = agents.observations + excluded.observations,
    pod = coalesce(excluded.pod, agents.pod), listeners_at = coalesce(excluded.listeners_at, agents.listeners_at)`;

/** Upper bounds of rows per agent, as in the SQLite store (exact counts only near the cap). */
export type RowCounts = Map<string, { rows: number; exact: boolean }>;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** One record per port (the latest; the later one of equal times, as sequential upserts keep), sorted by key. */
function latestPerPort(obs: readonly ObservationRecord[]): ObservationRecord[] {
  const order = (a: ObservationRecord, b: ObservationRecord) =>
    cmp(a.host, b.host) || cmp(a.ip, b.ip) || a.port - b.port;
  // An agent sends an address's ports in order, once each: then there is nothing to do.
  let sorted = true;
  for (let i = 1; i < obs.length && sorted; i++) sorted = order(obs[i - 1]!, obs[i]!) < 0;
  if (sorted) return obs as ObservationRecord[];
  const byKey = new Map<string, ObservationRecord>();
  for (const o of obs) {
    const k = `${o.host}\u0000${o.ip}\u0000${o.port}`;
    const had = byKey.get(k);
    if (!had || o.at >= had.at) byKey.set(k, o);
  }
  return [...byKey.values()].sort(order);
}

export async function ingestPg(
  c: pg.PoolClient,
  batch: ParsedBatch,
  receivedAt: string,
  maxRows: number,
  counts: RowCounts,
): Promise<IngestResult> {
  const h = batch.header;
  const agent = h.agent;
  await c.query(LOCK_AGENT, [agent]);
  const key = await c.query(
    "INSERT INTO batches (agent, batch_id, received_at, answer) VALUES ($1, $2, $3, '') ON CONFLICT DO NOTHING",
    [agent, h.batchId, receivedAt],
  );
  if (key.rowCount === 0) {
    const { rows } = await c.query<{ answer: string }>(
      'SELECT answer FROM batches WHERE agent = $1 AND batch_id = $2',
      [agent, h.batchId],
    );
    return { answer: JSON.parse(rows[0]!.answer) as IngestAnswer, replayed: true };
  }
  const obs = latestPerPort(batch.observations);
  const sweepsIn = [...new Map(batch.sweeps.map((s) => [`${s.host}\u0000${s.ip ?? ''}`, s])).values()].sort(
    (a, b) => cmp(a.host, b.host) || cmp(a.ip ?? '', b.ip ?? ''),
  );
  // The row cap, as the SQLite store keeps it: exact only when an upper bound would pass it.
  let st = counts.get(agent);
  const incoming = sweepsIn.length + obs.length;
  if (!st || (!st.exact && st.rows + incoming > maxRows)) {
    const { rows } = await c.query(
      'SELECT (SELECT count(*) FROM current_state WHERE agent = ' +
        '$1) + (SELECT count(*) FROM sweeps WHERE agent = $1) AS n',
      [agent],
    );
    st = { rows: num(rows[0]!.n), exact: true };
    counts.set(agent, st);
  }
  const checked = st.rows + incoming > maxRows;
  let capped = 0;
  let sweeps = sweepsIn;
  let records = obs;
  if (checked) {
    const s = st;
    const admit = (exists: boolean): boolean => {
      if (exists) return true;
      if (s.rows >= maxRows) return (capped++, false);
      s.rows++;
      return true;
    };
    const hadSweep = new Set(
      (await c.query('SELECT host, ip FROM sweeps WHERE agent = $1', [agent])).rows.map(
        (r) => `${r.host}\u0000${r.ip}`,
      ),
    );
    sweeps = sweepsIn.filter((sw) => admit(hadSweep.has(`${sw.host}\u0000${sw.ip ?? ''}`)));
    const had = await c.query(
      `SELECT c.host, c.ip, c.port FROM current_state c JOIN unnest($2::text[], $3::text[], $4::int[]) AS ` +
        `i(host, ip, port)
        ON c.host = i.host AND c.ip = i.ip AND c.port = i.port WHERE c.agent = $1`,
      [agent, obs.map((o) => o.host), obs.map((o) => o.ip), obs.map((o) => o.port)],
    );
    const exists = new Set(had.rows.map((r) => `${r.host}\u0000${r.ip}\u0000${r.port}`));
    // Closed ports of the sweeps free rows before the records are admitted, as in SQLite.
    const freed = await deleteClosed(c, agent, sweeps);
    s.rows -= freed;
    records = obs.filter((o) => admit(exists.has(`${o.host}\u0000${o.ip}\u0000${o.port}`)));
  } else {
    st.rows -= await deleteClosed(c, agent, sweeps);
  }
  if (sweeps.length > 0) {
    await c.query(UPSERT_SWEEPS, [
      agent,
      sweeps.map((s) => s.host),
      sweeps.map((s) => s.ip ?? ''),
      sweeps.map((s) => s.ports),
      sweeps.map((s) => s.closed),
      sweeps.map((s) => s.at),
      sweeps.map((s) => s.error ?? null),
    ]);
  }
  await writeRecords(c, agent, records);
  if (!checked) {
    st.rows += sweeps.length + records.length;
    st.exact = false;
  }
  // The counts the SQLite store answers: every record stored (repeats included), not distinct ports.
  const stored = checked ? batch.observations.length - capped : batch.observations.length;
  const answer: IngestAnswer = {
    batchId: h.batchId,
    agent,
    receivedAt,
    sweeps: checked ? sweeps.length : batch.sweeps.length,
    observations: stored,
    listeners: batch.listeners.length,
    outsideModel: batch.outsideModel ?? 0,
    capped,
  };
  await c.query('UPDATE batches SET answer = $3 WHERE agent = $1 AND batch_id = $2', [
    agent,
    h.batchId,
    JSON.stringify(answer),
  ]);
  const view = batch.listeners.length > 0 || h.listenerView === true ? receivedAt : null;
  await c.query(UPSERT_AGENT, [
    agent,
    h.agentVersion,
    receivedAt,
    h.batchId,
    h.planRevision,
    h.spoolDepth,
    h.spoolDropped,
    stored,
    h.pod ? JSON.stringify(h.pod) : null,
    view,
  ]);
  if (view !== null) {
    // The agent's whole current view of its namespace (possibly empty, with listenerView).
    await c.query('DELETE FROM listeners WHERE agent = $1', [agent]);
    const ls = [...new Map(batch.listeners.map((l) => [`${l.ip}\u0000${l.port}`, l])).values()];
    if (ls.length > 0) {
      await c.query(
        'INSERT INTO listeners (agent, ip, port, at) SELECT $1, * FROM unnest($2::text[], $3::int[], $4::text[])',
        [agent, ls.map((l) => l.ip), ls.map((l) => l.port), ls.map((l) => l.at)],
      );
    }
  }
  return { answer, replayed: false };
}

/** Closed ports of these sweeps supersede older results for them; the number of rows deleted. */
async function deleteClosed(c: pg.PoolClient, agent: string, sweeps: ParsedBatch['sweeps']): Promise<number> {
  const host: string[] = [];
  const ip: string[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  const at: string[] = [];
  for (const sw of sweeps) {
    if (sw.ip === null || sw.closed === '') continue;
    for (const [a, b] of runs(parsePortSpec(sw.closed))) {
      host.push(sw.host);
      ip.push(sw.ip);
      lo.push(a);
      hi.push(b);
      at.push(sw.at);
    }
  }
  if (host.length === 0) return 0;
  const { rows } = await c.query(DELETE_CLOSED, [agent, host, ip, lo, hi, at]);
  return num(rows[0]!.n);
}
