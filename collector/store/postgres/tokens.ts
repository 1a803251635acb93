// Tokens, enrollment, agent keys and rotation on PostgreSQL: the same rules as the SQLite store
// (authentication() in collector/store/tokens.ts explains rotation). Each read-then-write runs in a transaction
// that locks what it reads (FOR UPDATE, or an advisory lock on the agent name), so two replicas
// enrolling or rotating at once cannot both succeed where one may.
import type pg from 'pg';
import { tokenRow, type Row } from '../rows.js';
import {
  authentication,
  checkNameFree,
  checkRotatable,
  createdTokenValues,
  enrolledKey,
  enrollError,
  enrollSecretRecord,
  hashToken,
  inRotation,
  isLiveTokenRow,
  type KeyWrite,
  mintToken,
  oneLiveToken,
  someLiveKeys,
} from '../tokens.js';
import type { EnrollInput, NewToken, TokenRecord } from '../types.js';

type Tx = <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;

const LIVE_AGENT = `SELECT * FROM tokens WHERE role = 'agent' AND name = $1 AND revoked_at IS NULL
  AND (rotate_by IS NULL OR rotate_by > $2) ORDER BY created_at, id`;
const INSERT_KEY = `INSERT INTO tokens (id, name, role, hash, created_at, scope, enrolled_by, identity, predecessor)
  VALUES ($1, $2, 'agent', $3, $4, $5, $6, $7, $8)`;

export class PgTokens {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tx: Tx,
  ) {}

  async createToken(input: NewToken): Promise<{ token: string; record: TokenRecord }> {
    const made = mintToken(input);
    await this.pool.query(
      'INSERT INTO tokens (id, name, role, hash, created_at, scope, ' +
        'expires_at, max_uses) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      createdTokenValues(made, input),
    );
    return made;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.pool.query('SELECT * FROM tokens ORDER BY created_at, id')).rows.map(tokenRow);
  }

  revokeToken(idOrName: string, now: string): Promise<TokenRecord> {
    return this.tx(async (c) => {
      const rows = (
        await c.query('SELECT * FROM tokens WHERE id = $1 OR name = $1 ORDER BY created_at FOR UPDATE', [idOrName])
      ).rows.map(tokenRow);
      const t = oneLiveToken(rows, idOrName);
      await c.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, t.id]);
      return { ...t, revokedAt: now };
    });
  }

  private async secretRow(c: pg.PoolClient | pg.Pool, secret: string, lock: boolean): Promise<TokenRecord> {
    const hash = hashToken(secret);
    const row = (await c.query(`SELECT * FROM tokens WHERE hash = $1${lock ? ' FOR UPDATE' : ''}`, [hash])).rows[0] as
      | Row
      | undefined;
    return enrollSecretRecord(row, hash);
  }

  async enrollSecret(secret: string, now: string): Promise<TokenRecord> {
    const t = await this.secretRow(this.pool, secret, false);
    const err = enrollError(t, now);
    if (err) throw err;
    return t;
  }

  enroll(input: EnrollInput): Promise<{ key: string; record: TokenRecord }> {
    return this.tx(async (c) => {
      const secret = await this.secretRow(c, input.secret, true);
      const err = enrollError(secret, input.now);
      if (err) throw err;
      await c.query("SELECT pg_advisory_xact_lock(hashtext('portdrift agent ' || $1))", [input.name]);
      const held = (await c.query(LIVE_AGENT, [input.name, input.now])).rows;
      checkNameFree(
        input.name,
        held.map((r) => r.id as string),
      );
      const { key, id, values } = enrolledKey(input, secret.id);
      await c.query(INSERT_KEY, values);
      await c.query('UPDATE tokens SET uses = uses + 1, last_used_at = $2 WHERE id = $1', [secret.id, input.now]);
      return { key, record: tokenRow((await c.query('SELECT * FROM tokens WHERE id = $1', [id])).rows[0]) };
    });
  }

  async authenticate(secret: string, now: string): Promise<TokenRecord | null> {
    const hash = hashToken(secret);
    const row = (await this.pool.query('SELECT * FROM tokens WHERE hash = $1', [hash])).rows[0] as Row | undefined;
    if (!isLiveTokenRow(row, hash)) return null;
    if (inRotation(row)) return this.tx((c) => this.authenticateInside(c, hash, now));
    return this.run(this.pool, authentication(row, now), now);
  }

  private async authenticateInside(c: pg.PoolClient, hash: string, now: string): Promise<TokenRecord | null> {
    const row = (await c.query('SELECT * FROM tokens WHERE hash = $1 FOR UPDATE', [hash])).rows[0] as Row | undefined;
    if (!isLiveTokenRow(row, hash)) return null;
    return this.run(c, authentication(row, now), now);
  }

  /** Runs an authentication's writes, in order; its record. */
  private async run(
    c: pg.PoolClient | pg.Pool,
    { record, writes }: { record: TokenRecord | null; writes: KeyWrite[] },
    now: string,
  ): Promise<TokenRecord | null> {
    for (const w of writes) {
      if (w.kind === 'revoke')
        await c.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, w.id]);
      else if (w.kind === 'used') await c.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [now, w.id]);
      else if (w.kind === 'clearPredecessor')
        await c.query('UPDATE tokens SET predecessor = NULL WHERE id = $1', [w.id]);
      else if (w.kind === 'revokeUnusedSuccessors')
        await c.query(
          'UPDATE tokens SET revoked_at = $1 WHERE predecessor = $2 AND revoked_at IS NULL AND last_used_at IS NULL',
          [now, w.predecessor],
        );
      else await c.query(INSERT_KEY, w.values);
    }
    return record;
  }

  private async liveKeys(c: pg.PoolClient, name: string, now: string): Promise<TokenRecord[]> {
    return someLiveKeys((await c.query(`${LIVE_AGENT} FOR UPDATE`, [name, now])).rows.map(tokenRow), name);
  }

  revokeAgent(name: string, now: string): Promise<TokenRecord[]> {
    return this.tx(async (c) => {
      const rows = await this.liveKeys(c, name, now);
      for (const t of rows)
        await c.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, t.id]);
      return rows.map((t) => ({ ...t, revokedAt: now }));
    });
  }

  rotateAgent(name: string, now: string, by: string): Promise<TokenRecord[]> {
    return this.tx(async (c) => {
      const rows = await this.liveKeys(c, name, now);
      checkRotatable(rows, name);
      for (const t of rows) await c.query('UPDATE tokens SET rotate_by = $1 WHERE id = $2', [by, t.id]);
      return rows.map((t) => ({ ...t, rotateBy: by }));
    });
  }
}
