// The PostgreSQL schema, as numbered migrations. They run at start-up in one transaction under
// an advisory lock, so replicas starting together migrate once: the others wait on the lock, then
// find the version recorded. A database newer than this code is refused (PD_STORE_SCHEMA).
// Never edit a released migration: add the next one. Times are ISO-8601 UTC text, as in SQLite
// (they compare as strings, and the store answers exactly what it was given).
import type pg from 'pg';
import { PortdriftError } from '../../../shared/errors.js';

/** pg_advisory_xact_lock key of the migration. */
const MIGRATION_LOCK = '8098463211858670964';

export const PG_MIGRATIONS: ReadonlyArray<{ version: number; description: string; sql: string }> = [
  {
    version: 1,
    description:
      'tokens, batches, agents, current state and transitions, sweeps, listeners, findings, history, ignores, meta',
    sql: `
      CREATE TABLE tokens (
        id text PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('agent', 'reader', 'admin', 'enroll')),
        hash text NOT NULL UNIQUE,
        created_at text NOT NULL,
        revoked_at text,
        last_used_at text,
        scope text,
        expires_at text,
        max_uses integer,
        uses integer NOT NULL DEFAULT 0,
        enrolled_by text,
        identity text,
        rotate_by text,
        predecessor text
      );
      CREATE INDEX tokens_name ON tokens (name, role);
      -- The idempotency keys: one row per accepted batch and its answer, shared by every replica.
      CREATE TABLE batches (
        agent text NOT NULL,
        batch_id text NOT NULL,
        received_at text NOT NULL,
        answer text NOT NULL,
        PRIMARY KEY (agent, batch_id)
      );
      CREATE INDEX batches_received ON batches (received_at);
      CREATE TABLE agents (
        name text PRIMARY KEY,
        version text,
        first_seen text NOT NULL,
        last_seen text NOT NULL,
        last_batch_id text,
        plan_revision text,
        spool_depth integer NOT NULL DEFAULT 0,
        spool_dropped bigint NOT NULL DEFAULT 0,
        batches bigint NOT NULL DEFAULT 0,
        observations bigint NOT NULL DEFAULT 0,
        interval_ms integer
      );
      -- Current state: the latest result per (agent, host, ip, port). A repeated result moves
      -- only at and rtt_ms (an in-place HOT update: no indexed column changes); since says when
      -- the state last changed, and each change is one row of transitions.
      CREATE TABLE current_state (
        host text NOT NULL,
        ip text NOT NULL,
        port integer NOT NULL,
        agent text NOT NULL,
        state text NOT NULL,
        rtt_ms double precision,
        at text NOT NULL,
        since text NOT NULL,
        service text,
        PRIMARY KEY (host, ip, port, agent)
      ) WITH (fillfactor = 80);
      CREATE INDEX current_state_agent ON current_state (agent);
      CREATE TABLE transitions (
        seq bigserial PRIMARY KEY,
        at text NOT NULL,
        agent text NOT NULL,
        host text NOT NULL,
        ip text NOT NULL,
        port integer NOT NULL,
        from_state text,
        to_state text NOT NULL
      );
      CREATE INDEX transitions_at ON transitions (at);
      CREATE TABLE sweeps (
        host text NOT NULL,
        ip text NOT NULL,
        agent text NOT NULL,
        ports text NOT NULL,
        closed text NOT NULL,
        at text NOT NULL,
        error text,
        PRIMARY KEY (host, ip, agent)
      );
      CREATE TABLE listeners (
        agent text NOT NULL,
        ip text NOT NULL,
        port integer NOT NULL,
        at text NOT NULL,
        PRIMARY KEY (agent, ip, port)
      );
      CREATE TABLE findings (
        id text PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('pending', 'open', 'resolved')),
        kind text NOT NULL,
        severity text NOT NULL,
        present integer NOT NULL,
        absent integer NOT NULL,
        data text NOT NULL,
        ack text
      );
      CREATE TABLE history (
        seq bigserial PRIMARY KEY,
        at text NOT NULL,
        finding_id text NOT NULL,
        kind text NOT NULL,
        severity text NOT NULL,
        resource text NOT NULL,
        host text NOT NULL,
        port integer NOT NULL,
        event text NOT NULL,
        detail text
      );
      CREATE INDEX history_finding ON history (finding_id, seq);
      CREATE INDEX history_at ON history (at);
      CREATE TABLE evaluations (
        at text PRIMARY KEY,
        open_count integer NOT NULL,
        revision text NOT NULL
      );
      CREATE TABLE ignores (
        id text PRIMARY KEY,
        resource text NOT NULL,
        host text,
        port integer,
        kind text,
        reason text NOT NULL,
        by text NOT NULL,
        created_at text NOT NULL,
        expires_at text
      );
      CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    `,
  },
  {
    version: 2,
    description: 'the leader lease: which replica runs the scheduled work, until when',
    // Times from the database's clock (now()), so replicas' clocks need not agree.
    sql: `
      CREATE TABLE leases (
        name text PRIMARY KEY,
        holder text NOT NULL,
        expires_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: "agents' pods (Downward API identity) and when their latest listener view arrived",
    sql: `
      ALTER TABLE agents ADD COLUMN pod text;
      ALTER TABLE agents ADD COLUMN listeners_at text;
    `,
  },
  {
    version: 4,
    description: 'last seen per sweep: repeated results no longer rewrite their current_state row',
    // A repeated result (same state and service) adds its port to the generation of its address
    // and time instead of updating its row (seen.ts): current_state.at now says when the row was
    // first seen or last changed, and a port's last-seen time is the latest of that and of the
    // generations holding it. Existing rows keep their at, which is their last-seen time.
    // int4multirange: PostgreSQL 14 or later.
    sql: `
      CREATE TABLE seen (
        agent text NOT NULL,
        host text NOT NULL,
        ip text NOT NULL,
        at text NOT NULL,
        ports int4multirange NOT NULL,
        PRIMARY KEY (host, ip, agent, at)
      );
      CREATE INDEX seen_at ON seen (at);
    `,
  },
  {
    version: 5,
    description: 'the outbox: reports (one per period) and webhook alerts (one per transition) waiting to be sent',
    // Claims and retries in the database's clock (now()), like the lease.
    sql: `
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('report', 'webhook')),
        key text NOT NULL,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        claimed_by text,
        claimed_until timestamptz,
        sent_at timestamptz,
        UNIQUE (kind, key)
      );
      CREATE INDEX outbox_pending ON outbox (kind, id) WHERE sent_at IS NULL;
      CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
    `,
  },
  {
    version: 6,
    description: 'the live inventory (live: aws) the leader reads and every replica builds its model from',
    // One row per set of AWS settings (regions, profile, role); read_at in the database's clock.
    sql: `
      CREATE TABLE live_inventory (
        name text PRIMARY KEY,
        read_at timestamptz NOT NULL,
        read_by text NOT NULL,
        objects integer NOT NULL,
        payload text NOT NULL
      );
    `,
  },
  {
    version: 7,
    description: "webhooks' hourly caps: the window, the alerts sent in it and those held for its digest",
    // Shared so that a new leader carries on the window and sends the digest of the alerts the
    // last one held back. Windows in the delivering leader's clock (ms), as the single collector's.
    sql: `
      CREATE TABLE alert_caps (
        webhook text PRIMARY KEY,
        window_start bigint,
        sent integer NOT NULL DEFAULT 0
      );
      CREATE TABLE alert_held (
        seq bigserial PRIMARY KEY,
        webhook text NOT NULL,
        delivery_id text NOT NULL,
        event text NOT NULL,
        UNIQUE (webhook, delivery_id)
      );
    `,
  },
];

export const PG_LATEST_SCHEMA = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

/** Bring the database to the latest schema (once, whatever the number of replicas starting). */
export async function migratePg(client: pg.PoolClient, shown: string): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_version (version integer ' +
        'NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    const current = rows[0]?.v ?? 0;
    if (current > PG_LATEST_SCHEMA) {
      throw new PortdriftError(
        'PD_STORE_SCHEMA',
        `${shown}: the store has schema version ${current}, newer than this portdrift ` +
          `knows (${PG_LATEST_SCHEMA}); upgrade portdrift or use another database`,
      );
    }
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [m.version]);
    }
    await client.query('COMMIT');
    return PG_LATEST_SCHEMA;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
