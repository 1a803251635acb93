// API tokens and agents on the SQLite store: tokens made with `token create` (enrollment and
// rotation live in sqlite-enroll.ts), and the agents' records. SqliteStore delegates here.
import type { Database } from './sqlite-driver.js';
import { agentRow, listenerRow, tokenRow, type Row } from './rows.js';
import { createdTokenValues, mintToken, oneLiveToken } from './tokens.js';
import type { AgentRecord, ListenerState, NewToken, TokenRecord } from './types.js';

export { mintToken, oneLiveToken };

function statements(db: Database) {
  return {
    tokenInsert: db.prepare(`INSERT INTO tokens (id, name, role, hash, created_at, scope, expires_at, max_uses)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    tokenList: db.prepare('SELECT * FROM tokens ORDER BY created_at, id'),
    tokenFind: db.prepare('SELECT * FROM tokens WHERE id = ? OR name = ? ORDER BY created_at'),
    tokenRevoke: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    agentPlan: db.prepare(
      `
      INSERT INTO agents (name, first_seen, last_seen, interval_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT ` +
        `(name) DO UPDATE SET interval_ms = excluded.interval_ms WHERE interval_ms IS NOT excluded.interval_ms`,
    ),
    // The key in force: the agent's newest live token (a rotation's successor once created).
    agents: db.prepare(`SELECT a.*, (SELECT count(*) FROM listeners l WHERE l.agent = a.name) AS listeners,
      k.created_at AS key_created, k.enrolled_by AS enrolled_by, k.identity AS identity
      FROM agents a LEFT JOIN tokens k ON k.id = (SELECT t.id FROM tokens t WHERE t.role = 'agent' AND t.name = a.name
        AND t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id DESC LIMIT 1)
      ORDER BY a.name`),
    listeners: db.prepare('SELECT agent, ip, port, at FROM listeners ORDER BY agent, port, ip'),
  };
}

export class SqliteTokens {
  private readonly s;

  constructor(db: Database) {
    this.s = statements(db);
  }

  createToken(input: NewToken): { token: string; record: TokenRecord } {
    const made = mintToken(input);
    this.s.tokenInsert.run(...createdTokenValues(made, input));
    return made;
  }

  listTokens(): TokenRecord[] {
    return (this.s.tokenList.all() as Row[]).map(tokenRow);
  }

  revokeToken(idOrName: string, now: string): TokenRecord {
    const t = oneLiveToken((this.s.tokenFind.all(idOrName, idOrName) as Row[]).map(tokenRow), idOrName);
    this.s.tokenRevoke.run(now, t.id);
    return { ...t, revokedAt: now };
  }

  agents(): AgentRecord[] {
    return (this.s.agents.all() as Row[]).map(agentRow);
  }

  listeners(): ListenerState[] {
    return (this.s.listeners.all() as Row[]).map(listenerRow);
  }

  notePlanServed(agent: string, intervalMs: number, now: string): void {
    this.s.agentPlan.run(agent, now, now, intervalMs);
  }
}
