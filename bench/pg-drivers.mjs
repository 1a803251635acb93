// Which PostgreSQL driver for the store: `pg` (node-postgres) or `postgres` (porsager). Both ingest
// the same batches (5,000 observations each, one transaction per batch, upsert into the current
// state keyed by host/ip/port/agent) through the two bulk paths a store can use: one
// INSERT … SELECT FROM unnest($arrays) ON CONFLICT statement, and COPY into a temporary table then
// INSERT … SELECT ON CONFLICT. Rounds: every row new, then every row a repeat (the steady state).
// Usage: PORTDRIFT_TEST_PG_URL=postgres://… node bench/pg-drivers.mjs  (BENCH_QUICK=1: small)
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import postgres from 'postgres';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

const url = process.env.PORTDRIFT_TEST_PG_URL;
if (!url) throw new Error('set PORTDRIFT_TEST_PG_URL to a PostgreSQL database this script may write');
const BATCH = 5000;
const BATCHES = process.env.BENCH_QUICK ? 4 : 40;

const DDL = `DROP TABLE IF EXISTS bench_state; CREATE TABLE bench_state (
  agent text NOT NULL, host text NOT NULL, ip text NOT NULL, port integer NOT NULL, state text NOT NULL,
  rtt_ms double precision, at text NOT NULL, service text, PRIMARY KEY (host, ip, port, agent))`;
const UPSERT = `ON CONFLICT (host, ip, port, agent) DO UPDATE SET state = excluded.state, rtt_ms = excluded.rtt_ms,
  at = excluded.at, service = excluded.service WHERE excluded.at >= bench_state.at`;
const UNNEST =
  `INSERT INTO bench_state (agent, host, ip, port, state, rtt_ms, at, service)
  SELECT * FROM unnest($1::text[], ` +
  `$2::text[], $3::text[], $4::int[], $5::text[], $6::float8[], $7::text[], $8::text[]) ${UPSERT}`;

function batch(b, at) {
  const cols = [[], [], [], [], [], [], [], []];
  for (let k = 0; k < BATCH; k++) {
    const i = b * BATCH + k;
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const row = ['a1', host, host, 1 + (i % 1000), 'open', 0.2, at, null];
    for (let c = 0; c < 8; c++) cols[c].push(row[c]);
  }
  return cols;
}

function tsv(cols) {
  const lines = [];
  for (let k = 0; k < cols[0].length; k++)
    lines.push(cols.map((c) => (c[k] === null ? '\\N' : String(c[k]))).join('\t'));
  return `${lines.join('\n')}\n`;
}

async function time(label, fn) {
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) await fn(b);
  const s = (performance.now() - t0) / 1000;
  const rate = Math.round((BATCHES * BATCH) / s);
  console.log(`${label.padEnd(34)} ${rate.toLocaleString('en-US').padStart(9)} obs/s`);
  return rate;
}

async function runPg() {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const tx = async (fn) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await fn(c);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  };
  for (const round of ['new', 'repeat']) {
    if (round === 'new') await pool.query(DDL);
    await time(`pg unnest (${round})`, (b) => tx((c) => c.query(UNNEST, batch(b, `T${round}`))));
  }
  for (const round of ['new', 'repeat']) {
    if (round === 'new') await pool.query(DDL);
    await time(`pg copy (${round})`, (b) =>
      tx(async (c) => {
        await c.query('CREATE TEMP TABLE IF NOT EXISTS bench_in (LIKE bench_state) ON COMMIT DELETE ROWS');
        await pipeline(Readable.from([tsv(batch(b, `T${round}`))]), c.query(copyFrom('COPY bench_in FROM STDIN')));
        await c.query(`INSERT INTO bench_state SELECT * FROM bench_in ${UPSERT}`);
      }),
    );
  }
  await pool.end();
}

async function runPostgres() {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  for (const round of ['new', 'repeat']) {
    if (round === 'new') await sql.unsafe(DDL);
    await time(`postgres unnest (${round})`, (b) => sql.begin((t) => t.unsafe(UNNEST, batch(b, `T${round}`))));
  }
  for (const round of ['new', 'repeat']) {
    if (round === 'new') await sql.unsafe(DDL);
    await time(`postgres copy (${round})`, (b) =>
      sql.begin(async (t) => {
        await t.unsafe('CREATE TEMP TABLE IF NOT EXISTS bench_in (LIKE bench_state) ON COMMIT DELETE ROWS');
        const w = await t.unsafe('COPY bench_in FROM STDIN').writable();
        await pipeline(Readable.from([tsv(batch(b, `T${round}`))]), w);
        await t.unsafe(`INSERT INTO bench_state SELECT * FROM bench_in ${UPSERT}`);
      }),
    );
  }
  await sql.unsafe('DROP TABLE bench_state');
  await sql.end();
}

console.log(`${BATCHES} batches of ${BATCH} observations, one transaction each`);
await runPg();
await runPostgres();
