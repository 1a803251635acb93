// Enrollment and agent keys on the SQLite store: enroll secrets (role `enroll`) and the agent keys
// they mint, agent revocation, and key rotation (its rules: authentication() in tokens.ts). Kept
// apart from sqlite.ts, which delegates here.
import type { Database } from './sqlite-driver.js';
import {
  checkNameFree,
  checkRotatable,
  authentication,
  enrolledKey,
  enrollError,
  enrollSecretRecord,
  hashToken,
  inRotation,
  isLiveTokenRow,
  type KeyWrite,
  someLiveKeys,
} from './tokens.js';
import { tokenRow, type Row } from './rows.js';
import type { EnrollInput, TokenRecord } from './types.js';

export { tokenRow };

export class EnrollTokens {
  private readonly s;
  private readonly enrollTx: (input: EnrollInput) => { key: string; record: TokenRecord };
  private readonly authTx: (secret: string, now: string) => TokenRecord | null;

  constructor(private readonly db: Database) {
    this.s = {
      byHash: db.prepare('SELECT * FROM tokens WHERE hash = ?'),
      byId: db.prepare('SELECT * FROM tokens WHERE id = ?'),
      used: db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?'),
      liveAgent: db.prepare(`SELECT * FROM tokens WHERE role = 'agent' AND name = ? AND revoked_at IS NULL
        AND (rotate_by IS NULL OR rotate_by > ?)`),
      insertKey: db.prepare(`INSERT INTO tokens
        (id, name, role, hash, created_at, scope, enrolled_by, identity, predecessor)
        VALUES (?, ?, 'agent', ?, ?, ?, ?, ?, ?)`),
      countUse: db.prepare('UPDATE tokens SET uses = uses + 1 WHERE id = ?'),
      revoke: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeUnusedSuccessors: db.prepare(`UPDATE tokens SET revoked_at = ?
        WHERE predecessor = ? AND revoked_at IS NULL AND last_used_at IS NULL`),
      clearPredecessor: db.prepare('UPDATE tokens SET predecessor = NULL WHERE id = ?'),
      rotate: db.prepare('UPDATE tokens SET rotate_by = ? WHERE id = ?'),
    };
    // IMMEDIATE: each of these reads, then writes. A deferred transaction would take its write
    // lock only at the first write, and in WAL mode fails at once (SQLITE_BUSY, no busy wait) when
    // another connection — `portdrift agents`/`token` beside the collector — wrote in between.
    const enrollTx = db.transaction((input: EnrollInput) => this.enrollInside(input));
    const authTx = db.transaction((secret: string, now: string) => this.authenticateInside(secret, now));
    this.enrollTx = (input) => enrollTx.immediate(input);
    this.authTx = (secret, now) => authTx.immediate(secret, now);
  }

  /** The enroll secret's record if it may enroll at `now`; else the 401 error that says why. */
  enrollSecret(secret: string, now: string): TokenRecord {
    const hash = hashToken(secret);
    const t = enrollSecretRecord(this.s.byHash.get(hash) as Row | undefined, hash);
    const err = enrollError(t, now);
    if (err) throw err;
    return t;
  }

  enroll(input: EnrollInput): { key: string; record: TokenRecord } {
    return this.enrollTx(input);
  }

  private enrollInside(input: EnrollInput): { key: string; record: TokenRecord } {
    const secret = this.enrollSecret(input.secret, input.now);
    const held = this.s.liveAgent.all(input.name, input.now) as Row[];
    checkNameFree(
      input.name,
      held.map((r) => r.id as string),
    );
    const { key, id, values } = enrolledKey(input, secret.id);
    this.s.insertKey.run(...values);
    this.s.countUse.run(secret.id);
    this.s.used.run(input.now, secret.id);
    return { key, record: tokenRow(this.s.byId.get(id) as Row) };
  }

  authenticate(secret: string, now: string): TokenRecord | null {
    const hash = hashToken(secret);
    const row = this.s.byHash.get(hash) as Row | undefined;
    if (!isLiveTokenRow(row, hash)) return null;
    if (inRotation(row)) return this.authTx(secret, now);
    return this.run(authentication(row, now), now);
  }

  private authenticateInside(secret: string, now: string): TokenRecord | null {
    const hash = hashToken(secret);
    const row = this.s.byHash.get(hash) as Row | undefined;
    if (!isLiveTokenRow(row, hash)) return null;
    return this.run(authentication(row, now), now);
  }

  /** Runs an authentication's writes; its record. */
  private run({ record, writes }: { record: TokenRecord | null; writes: KeyWrite[] }, now: string) {
    for (const w of writes) {
      if (w.kind === 'revoke') this.s.revoke.run(now, w.id);
      else if (w.kind === 'used') this.s.used.run(now, w.id);
      else if (w.kind === 'clearPredecessor') this.s.clearPredecessor.run(w.id);
      else if (w.kind === 'revokeUnusedSuccessors') this.s.revokeUnusedSuccessors.run(now, w.predecessor);
      else this.s.insertKey.run(...w.values);
    }
    return record;
  }

  /** Live agent keys of `name` (role agent, not revoked), or PD_TOKEN naming the agent. */
  private liveKeys(name: string, now: string): TokenRecord[] {
    return someLiveKeys((this.s.liveAgent.all(name, now) as Row[]).map(tokenRow), name);
  }

  revokeAgent(name: string, now: string): TokenRecord[] {
    return this.db
      .transaction(() => {
        const rows = this.liveKeys(name, now);
        for (const t of rows) this.s.revoke.run(now, t.id);
        return rows.map((t) => ({ ...t, revokedAt: now }));
      })
      .immediate();
  }

  rotateAgent(name: string, now: string, by: string): TokenRecord[] {
    return this.db
      .transaction(() => {
        const rows = this.liveKeys(name, now);
        checkRotatable(rows, name);
        for (const t of rows) this.s.rotate.run(by, t.id);
        return rows.map((t) => ({ ...t, rotateBy: by }));
      })
      .immediate();
  }
}
