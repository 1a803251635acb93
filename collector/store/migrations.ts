// The SQLite schema, as numbered migrations applied in order inside one transaction each. The
// version lives in `schema_version`; a database whose version is newer than the last migration
// here was written by a newer portdrift and is refused (PD_STORE_SCHEMA) rather than guessed at.
// Never edit a released migration: add the next one.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tokens, batches, agents, current state, sweeps, listeners, findings, history, ignores, meta',
    sql: `
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('agent', 'reader', 'admin')),
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        last_used_at TEXT
      );
      -- One row per accepted batch: the idempotency record and its answer.
      CREATE TABLE batches (
        batch_id TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        received_at TEXT NOT NULL,
        answer TEXT NOT NULL
      );
      CREATE INDEX batches_received ON batches (received_at);
      CREATE TABLE agents (
        name TEXT PRIMARY KEY,
        version TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        last_batch_id TEXT,
        plan_revision TEXT,
        spool_depth INTEGER NOT NULL DEFAULT 0,
        spool_dropped INTEGER NOT NULL DEFAULT 0,
        batches INTEGER NOT NULL DEFAULT 0,
        observations INTEGER NOT NULL DEFAULT 0,
        interval_ms INTEGER
      );
      -- Latest result per (agent, host, ip, port) that was not closed, or was closed explicitly.
      CREATE TABLE current_state (
        agent TEXT NOT NULL,
        host TEXT NOT NULL,
        ip TEXT NOT NULL,
        port INTEGER NOT NULL,
        state TEXT NOT NULL,
        rtt_ms REAL,
        at TEXT NOT NULL,
        service TEXT,
        -- host first: the drift engine reads by host, and a second index would cost every insert.
        PRIMARY KEY (host, ip, port, agent)
      ) WITHOUT ROWID;
      -- Latest sweep per (agent, host, ip): probed ports and closed ports as port specs.
      CREATE TABLE sweeps (
        agent TEXT NOT NULL,
        host TEXT NOT NULL,
        ip TEXT NOT NULL, -- '' when the host did not resolve
        ports TEXT NOT NULL,
        closed TEXT NOT NULL,
        at TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (host, ip, agent)
      ) WITHOUT ROWID;
      CREATE TABLE listeners (
        agent TEXT NOT NULL,
        ip TEXT NOT NULL,
        port INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (agent, ip, port)
      ) WITHOUT ROWID;
      CREATE TABLE findings (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('pending', 'open', 'resolved')),
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        present INTEGER NOT NULL,
        absent INTEGER NOT NULL,
        data TEXT NOT NULL, -- the Finding as JSON (without ack)
        ack TEXT            -- the Acknowledgement as JSON, or NULL
      );
      CREATE TABLE history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        finding_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        resource TEXT NOT NULL,
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        event TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX history_finding ON history (finding_id, seq);
      CREATE INDEX history_at ON history (at);
      CREATE TABLE evaluations (
        at TEXT PRIMARY KEY,
        open_count INTEGER NOT NULL,
        revision TEXT NOT NULL
      );
      CREATE TABLE ignores (
        id TEXT PRIMARY KEY,
        resource TEXT NOT NULL,
        host TEXT,
        port INTEGER,
        kind TEXT,
        reason TEXT NOT NULL,
        by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT
      );
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    description: 'batch ids are remembered per agent: idempotency keyed on (agent, batch id)',
    // Batch ids are chosen by the agents; two agents may pick the same one. Keyed on the id alone,
    // agent B's batch got agent A's answer as a replay and was silently not stored.
    sql: `
      CREATE TABLE batches_by_agent (
        agent TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        answer TEXT NOT NULL,
        PRIMARY KEY (agent, batch_id)
      );
      INSERT INTO batches_by_agent (agent, batch_id, received_at, answer)
        SELECT agent, batch_id, received_at, answer FROM batches;
      DROP TABLE batches;
      ALTER TABLE batches_by_agent RENAME TO batches;
      CREATE INDEX batches_received ON batches (received_at);
    `,
  },
  {
    version: 3,
    description: 'agent tokens carry a scope: the CIDRs their agent may report on',
    // A JSON array of CIDRs. NULL on reader and admin tokens, and on agent tokens created before
    // scopes existed: those stay unrestricted (a warning at start-up and in `token list`).
    sql: 'ALTER TABLE tokens ADD COLUMN scope TEXT;',
  },
  {
    version: 4,
    description: 'enroll secrets (role enroll), enrolled agent keys and key rotation',
    // The role CHECK gains 'enroll', so the table is rebuilt (SQLite cannot alter a CHECK).
    // expires_at / max_uses / uses: enroll secrets. enrolled_by: the enroll secret an agent key
    // came from; identity: what the agent said of itself (JSON). rotate_by: `agents rotate` asked
    // for a new key; the old one works until the new one is first used or until this time.
    // predecessor: the key a rotated key replaces (revoked when the new key is first used).
    sql: `
      CREATE TABLE tokens_v4 (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('agent', 'reader', 'admin', 'enroll')),
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        last_used_at TEXT,
        scope TEXT,
        expires_at TEXT,
        max_uses INTEGER,
        uses INTEGER NOT NULL DEFAULT 0,
        enrolled_by TEXT,
        identity TEXT,
        rotate_by TEXT,
        predecessor TEXT
      );
      INSERT INTO tokens_v4 (id, name, role, hash, created_at, revoked_at, last_used_at, scope)
        SELECT id, name, role, hash, created_at, revoked_at, last_used_at, scope FROM tokens;
      DROP TABLE tokens;
      ALTER TABLE tokens_v4 RENAME TO tokens;
      CREATE INDEX tokens_name ON tokens (name, role);
    `,
  },
  {
    version: 5,
    description: "agents' pods (Kubernetes Downward API) and when they last sent a listener view",
    // pod: the PodIdentity of the agent's latest batch that carried one (JSON); listeners_at: the
    // time of its latest listener view, so an empty view (nothing listens) is told from none.
    sql: `
      ALTER TABLE agents ADD COLUMN pod TEXT;
      ALTER TABLE agents ADD COLUMN listeners_at TEXT;
    `,
  },
];

export const LATEST_SCHEMA = MIGRATIONS[MIGRATIONS.length - 1]!.version;
