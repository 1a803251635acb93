// Ignore rules, meta values and upkeep (pruning, stats, integrity) on the SQLite store.
// SqliteStore delegates here.
import type { Database } from './sqlite-driver.js';
import { statSync } from 'node:fs';
import { ignoreRow, type Row } from './rows.js';
import { newId } from './tokens.js';
import type { FindingStatus, IgnoreRule, PruneCutoffs, StoreStats } from './types.js';

function statements(db: Database) {
  return {
    ignoreInsert: db.prepare(
      'INSERT INTO ignores (id, resource, host, port, kind, reason, ' +
        'by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    ignores: db.prepare('SELECT * FROM ignores ORDER BY created_at, id'),
    ignoreDelete: db.prepare('DELETE FROM ignores WHERE id = ?'),
    metaGet: db.prepare('SELECT value FROM meta WHERE key = ?'),
    metaSet: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    count: (table: string) => db.prepare(`SELECT count(*) AS n FROM ${table}`),
  };
}

export class SqliteUpkeep {
  private readonly s;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {
    this.s = statements(db);
  }

  addIgnore(rule: Omit<IgnoreRule, 'id'>): IgnoreRule {
    const id = newId('ign');
    this.s.ignoreInsert.run(
      id,
      rule.resource,
      rule.host,
      rule.port,
      rule.kind,
      rule.reason,
      rule.by,
      rule.createdAt,
      rule.expiresAt,
    );
    return { id, ...rule };
  }

  ignores(): IgnoreRule[] {
    return (this.s.ignores.all() as Row[]).map(ignoreRow);
  }

  removeIgnore(id: string): boolean {
    return this.s.ignoreDelete.run(id).changes > 0;
  }

  getMeta(key: string): string | null {
    return (this.s.metaGet.get(key) as { value: string } | undefined)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.s.metaSet.run(key, value);
  }

  prune(o: PruneCutoffs): { batches: number; series: number; rows: number } {
    const before = o.rowsBefore;
    return this.db.transaction(() => ({
      batches: this.db.prepare('DELETE FROM batches WHERE received_at < ?').run(o.batchesBefore).changes,
      series: this.db.prepare('DELETE FROM evaluations WHERE at < ?').run(o.seriesBefore).changes,
      rows:
        before === undefined
          ? 0
          : ['current_state', 'sweeps', 'listeners'].reduce(
              (sum, t) => sum + this.db.prepare(`DELETE FROM ${t} WHERE at < ?`).run(before).changes,
              0,
            ),
    }))();
  }

  stats(): StoreStats {
    const n = (t: string) => (this.s.count(t).get() as { n: number }).n;
    let bytes = 0;
    for (const f of [this.file, `${this.file}-wal`]) {
      try {
        bytes += statSync(f).size;
      } catch {
        /* no WAL yet */
      }
    }
    const findings: Record<FindingStatus, number> = { pending: 0, open: 0, resolved: 0 };
    for (const r of this.db.prepare('SELECT status, count(*) AS n FROM findings GROUP BY status').all() as Array<{
      status: FindingStatus;
      n: number;
    }>)
      findings[r.status] = r.n;
    return { bytes, observations: n('current_state'), sweeps: n('sweeps'), batches: n('batches'), findings };
  }

  integrityCheck(): string {
    return (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>)
      .map((r) => r.integrity_check)
      .join('; ');
  }
}
