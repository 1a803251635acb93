// The current state of a batch's records on PostgreSQL (ingest.ts calls writeRecords inside
// the batch's transaction, under its agent's lock). One statement finds the records that are not
// a repeat of their port's row; repeats touch no row and join their address's generation
// (seen.ts); new and changed records write their rows and transitions. So a steady batch writes
// one generation per address and nothing per port.
import type pg from 'pg';
import type { ObservationRecord } from '../../../shared/types.js';
import { multirange, SEEN_COLUMNS, SeenIndex } from './seen.js';

/** The records that are not a repeat of their row: a new port, another state or service. */
const CLASSIFY = `
  SELECT i.n::int AS n, c.state, c.at FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[])
      WITH ORDINALITY AS i(host, ip, port, state, service, n)
    LEFT JOIN current_state c ON c.host = i.host AND c.ip = i.ip AND c.port = i.port AND c.agent = $1
  WHERE c.state IS DISTINCT FROM i.state OR c.service IS DISTINCT FROM i.service`;

/** New rows (from_state null) and changed rows, with a transitions row where the state changed. */
const WRITE_ROWS =
  `
  WITH w AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::float8[], $7::text[], $8::text[], ` +
  `$9::text[])
      AS w(host, ip, port, state, rtt_ms, at, service, from_state)
  ), ins AS (
    INSERT INTO current_state (host, ip, port, agent, state, rtt_ms, at, since, service)
      SELECT host, ip, port, $1, state, rtt_ms, at, at, service FROM w WHERE from_state IS NULL
    ON CONFLICT DO NOTHING
  ), upd AS (
    UPDATE current_state c SET state = w.state, rtt_ms = w.rtt_ms, at = w.at, service = w.service,
      since = CASE WHEN c.state = w.state THEN c.since ELSE w.at END
    FROM w WHERE w.from_state IS NOT NULL AND c.host = w.host AND c.ip = w.ip AND c.port = w.port AND c.agent = $1
  )
  INSERT INTO transitions (at, agent, host, ip, port, from_state, to_state)
    SELECT at, $1, host, ip, port, from_state, state FROM w WHERE from_state IS DISTINCT FROM state`;

/**
 * The generations: each (address, time) of repeated ports is added to (a row whose ports already
 * hold them is left alone); the ports a batch reported leave the older generations of their
 * address (emptied ones are deleted), so a steady address keeps one generation.
 */
const WRITE_SEEN = `
  WITH g AS (
    SELECT host, ip, at, ports::int4multirange AS ports FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
      AS g(host, ip, at, ports)
  ), b AS (
    SELECT host, ip, at, ports::int4multirange AS ports FROM unnest($6::text[], $7::text[], $8::text[], $9::text[])
      AS b(host, ip, at, ports)
  ), gone AS (
    DELETE FROM seen s USING b
    WHERE s.host = b.host AND s.ip = b.ip AND s.agent = $1 AND s.at < b.at AND isempty(s.ports - b.ports)
  ), shrunk AS (
    UPDATE seen s SET ports = s.ports - b.ports FROM b
    WHERE s.host = b.host AND s.ip = b.ip AND s.agent = $1 AND s.at < b.at AND s.ports && b.ports
      AND NOT isempty(s.ports - b.ports)
  )
  INSERT INTO seen AS s (agent, host, ip, at, ports) SELECT $1, host, ip, at, ports FROM g
  ON CONFLICT (host, ip, agent, at) DO UPDATE SET ports = s.ports + excluded.ports
  WHERE NOT s.ports @> excluded.ports`;

const addressKey = (o: ObservationRecord) => `${o.host}\u0000${o.ip}`;

/** Records sorted by (host, ip, port), one per port (ingest.ts latestPerPort). */
export async function writeRecords(c: pg.PoolClient, agent: string, records: ObservationRecord[]): Promise<void> {
  if (records.length === 0) return;
  const { rows } = await c.query<{ n: number; state: string | null; at: string | null }>(CLASSIFY, [
    agent,
    records.map((o) => o.host),
    records.map((o) => o.ip),
    records.map((o) => o.port),
    records.map((o) => o.state),
    records.map((o) => o.service ?? null),
  ]);
  const other = new Map(rows.map((r) => [r.n - 1, r]));
  // A changed record applies only if it is not older than its port's last-seen time, which
  // generations may hold: read them for the addresses of such records.
  let seen: SeenIndex | null = null;
  const ask = rows.filter((r) => r.state !== null && records[r.n - 1]!.at >= r.at!).map((r) => records[r.n - 1]!);
  if (ask.length > 0) {
    const addresses = [...new Map(ask.map((o) => [addressKey(o), o])).values()];
    const g = await c.query(
      `SELECT ${SEEN_COLUMNS} FROM seen WHERE agent = $1 AND (host, ip) IN (SELECT * FROM unnest($2::text[], ` +
        '$3::text[]))',
      [agent, addresses.map((o) => o.host), addresses.map((o) => o.ip)],
    );
    seen = new SeenIndex(g.rows);
  }
  const writes: Array<{ o: ObservationRecord; from: string | null }> = [];
  // Repeated ports per (address, time); reported ports per address with their earliest time.
  const gens = new Map<string, { o: ObservationRecord; ports: number[] }>();
  const reported = new Map<string, { o: ObservationRecord; at: string; ports: number[] }>();
  const report = (o: ObservationRecord) => {
    const k = addressKey(o);
    const r = reported.get(k);
    if (!r) reported.set(k, { o, at: o.at, ports: [o.port] });
    else {
      r.ports.push(o.port);
      if (o.at < r.at) r.at = o.at;
    }
  };
  for (let k = 0; k < records.length; k++) {
    const o = records[k]!;
    const x = other.get(k);
    if (x === undefined) {
      // A repeat. Older than the port's last-seen time it changes nothing: a generation only
      // ever raises a last-seen time.
      const gk = `${addressKey(o)}\u0000${o.at}`;
      const g = gens.get(gk);
      if (g) g.ports.push(o.port);
      else gens.set(gk, { o, ports: [o.port] });
    } else if (x.state === null) writes.push({ o, from: null });
    else {
      const last = seen ? seen.lastSeen(agent, o.host, o.ip, o.port, x.at!) : x.at!;
      if (o.at < last) continue; // an older result: the port's newer one stands
      writes.push({ o, from: x.state });
    }
    report(o);
  }
  if (writes.length > 0) {
    await c.query(WRITE_ROWS, [
      agent,
      writes.map((w) => w.o.host),
      writes.map((w) => w.o.ip),
      writes.map((w) => w.o.port),
      writes.map((w) => w.o.state),
      writes.map((w) => w.o.rttMs),
      writes.map((w) => w.o.at),
      writes.map((w) => w.o.service ?? null),
      writes.map((w) => w.from),
    ]);
  }
  const g = [...gens.values()];
  const b = [...reported.values()];
  await c.query(WRITE_SEEN, [
    agent,
    g.map((x) => x.o.host),
    g.map((x) => x.o.ip),
    g.map((x) => x.o.at),
    g.map((x) => multirange(x.ports)),
    b.map((x) => x.o.host),
    b.map((x) => x.o.ip),
    b.map((x) => x.at),
    b.map((x) => multirange(x.ports)),
  ]);
}
