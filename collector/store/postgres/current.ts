// The current state of a batch's records on PostgreSQL (ingest.ts calls writeRecords inside
// the batch's transaction, under its agent's lock). One statement finds the records that are not
// a repeat of their port's row; repeats touch no row and join their address's generation
// (seen.ts); new and changed records write their rows and transitions. So a steady batch writes
// one generation per address and nothing per port.
import type pg from 'pg';
import type { ObservationRecord } from '../../../shared/types.js';
import { numberArray, textArray } from './arrays.js';
import { multirange, SEEN_COLUMNS, SeenIndex } from './seen.js';

/**
 * The records that are not a repeat of their row: a new port, another state or service. Only the
 * rows of the batch's addresses are read (the key's prefix, address by address): a hash of all
 * the agent's rows cost six times as much with 60,000 of them, and grows with the agent.
 */
const CLASSIFY = `
  SELECT i.n::int AS n, c.state, c.at FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[])
      WITH ORDINALITY AS i(host, ip, port, state, service, n)
    LEFT JOIN (
      SELECT c.host, c.ip, c.port, c.state, c.service, c.at
      FROM (SELECT DISTINCT host, ip FROM unnest($2::text[], $3::text[]) AS a(host, ip)) a
      CROSS JOIN LATERAL (
        SELECT * FROM current_state c WHERE c.host = a.host AND c.ip = a.ip AND c.agent = $1 OFFSET 0
      ) c
    ) c ON c.host = i.host AND c.ip = i.ip AND c.port = i.port
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

/** Records sorted by (host, ip, port), one per port (ingest.ts latestPerPort). */
export async function writeRecords(c: pg.PoolClient, agent: string, records: ObservationRecord[]): Promise<void> {
  if (records.length === 0) return;
  const { rows } = await c.query<{ n: number; state: string | null; at: string | null }>(CLASSIFY, [
    agent,
    textArray(records.map((o) => o.host)),
    textArray(records.map((o) => o.ip)),
    numberArray(records.map((o) => o.port)),
    textArray(records.map((o) => o.state)),
    textArray(records.map((o) => o.service)),
  ]);
  const other = new Map(rows.map((r) => [r.n - 1, r]));
  // A changed record applies only if it is not older than its port's last-seen time, which
  // generations may hold: read them for the addresses of such records.
  let seen: SeenIndex | null = null;
  const ask = rows.filter((r) => r.state !== null && records[r.n - 1]!.at >= r.at!).map((r) => records[r.n - 1]!);
  if (ask.length > 0) {
    const asked = [...new Map(ask.map((o) => [`${o.host}\u0000${o.ip}`, o])).values()];
    const g = await c.query(
      `SELECT ${SEEN_COLUMNS} FROM seen WHERE agent = $1 AND (host, ip) IN (SELECT * FROM unnest($2::text[], ` +
        '$3::text[]))',
      [agent, asked.map((o) => o.host), asked.map((o) => o.ip)],
    );
    seen = new SeenIndex(g.rows);
  }
  const writes: Array<{ o: ObservationRecord; from: string | null }> = [];
  // Per address (records come sorted by address): the ports reported, with their earliest time,
  // and the repeated ports per time.
  const addresses: Array<{ o: ObservationRecord; at: string | null; ports: number[]; gens: Map<string, number[]> }> =
    [];
  let addr: (typeof addresses)[number] | undefined;
  for (let k = 0; k < records.length; k++) {
    const o = records[k]!;
    if (addr === undefined || addr.o.host !== o.host || addr.o.ip !== o.ip) {
      addr = { o, at: null, ports: [], gens: new Map() };
      addresses.push(addr);
    }
    const x = other.get(k);
    if (x === undefined) {
      // A repeat. Older than the port's last-seen time it changes nothing: a generation only
      // ever raises a last-seen time.
      const g = addr.gens.get(o.at);
      if (g) g.push(o.port);
      else addr.gens.set(o.at, [o.port]);
    } else if (x.state === null) writes.push({ o, from: null });
    else {
      const last = seen ? seen.lastSeen(agent, o.host, o.ip, o.port, x.at!) : x.at!;
      if (o.at < last) continue; // an older result: the port's newer one stands
      writes.push({ o, from: x.state });
    }
    addr.ports.push(o.port);
    if (addr.at === null || o.at < addr.at) addr.at = o.at;
  }
  if (writes.length > 0) {
    await c.query(WRITE_ROWS, [
      agent,
      textArray(writes.map((w) => w.o.host)),
      textArray(writes.map((w) => w.o.ip)),
      numberArray(writes.map((w) => w.o.port)),
      textArray(writes.map((w) => w.o.state)),
      numberArray(writes.map((w) => w.o.rttMs)),
      textArray(writes.map((w) => w.o.at)),
      textArray(writes.map((w) => w.o.service)),
      textArray(writes.map((w) => w.from)),
    ]);
  }
  const g = addresses.flatMap((x) => [...x.gens].map(([at, ports]) => ({ o: x.o, at, ports })));
  const b = addresses.filter((x) => x.ports.length > 0);
  await c.query(WRITE_SEEN, [
    agent,
    g.map((x) => x.o.host),
    g.map((x) => x.o.ip),
    g.map((x) => x.at),
    g.map((x) => multirange(x.ports)),
    b.map((x) => x.o.host),
    b.map((x) => x.o.ip),
    b.map((x) => x.at!),
    b.map((x) => multirange(x.ports)),
  ]);
}
