// Findings on the SQLite store: the lifecycle's state per finding, evaluations (with the open
// count series), acknowledgements and the history of transitions. SqliteStore delegates here.
import type { Database } from './sqlite-driver.js';
import { PortdriftError } from '../../shared/errors.js';
import type { Acknowledgement } from '../../shared/types.js';
import { ackDetail, bucketSeries, findingRow, historyRow, type Row } from './rows.js';
import type { EvaluationWrite, HistoryEntry, HistoryQuery, StoredFinding } from './types.js';

function statements(db: Database) {
  return {
    findings: db.prepare('SELECT * FROM findings ORDER BY id'),
    finding: db.prepare('SELECT * FROM findings WHERE id = ?'),
    findingUpsert: db.prepare(
      `
      INSERT INTO findings (id, status, kind, severity, present, absent, data, ack) VALUES (@id, @status, @kind, ` +
        `@severity, @present, @absent, @data, @ack)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, kind = excluded.kind, severity = excluded.severity,
        present = excluded.present, absent = excluded.absent, data = excluded.data, ack = excluded.ack`,
    ),
    findingDelete: db.prepare('DELETE FROM findings WHERE id = ?'),
    findingAck: db.prepare('UPDATE findings SET ack = ? WHERE id = ?'),
    historyInsert: db.prepare(`
      INSERT INTO history (at, finding_id, kind, severity, resource, host, port, event, detail)
      VALUES (@at, @findingId, @kind, @severity, @resource, @host, @port, @event, @detail)`),
    evaluationInsert: db.prepare('INSERT OR REPLACE INTO evaluations (at, open_count, revision) VALUES (?, ?, ?)'),
    series: db.prepare('SELECT at, open_count FROM evaluations WHERE (? IS NULL OR at > ?) ORDER BY at'),
  };
}

export class SqliteFindings {
  private readonly s;
  private readonly evaluationTx: (w: EvaluationWrite) => void;

  constructor(private readonly db: Database) {
    this.s = statements(db);
    this.evaluationTx = db.transaction((w: EvaluationWrite) => this.evaluationInside(w));
  }

  findings(): StoredFinding[] {
    return (this.s.findings.all() as Row[]).map(findingRow);
  }

  finding(id: string): StoredFinding | null {
    const r = this.s.finding.get(id) as Row | undefined;
    return r ? findingRow(r) : null;
  }

  applyEvaluation(write: EvaluationWrite): void {
    this.evaluationTx(write);
  }

  private evaluationInside(w: EvaluationWrite): void {
    for (const f of w.upsert) {
      const { ack: _drop, ...data } = f.finding;
      this.s.findingUpsert.run({
        id: f.finding.id,
        status: f.status,
        kind: f.finding.kind,
        severity: f.finding.severity,
        present: f.present,
        absent: f.absent,
        data: JSON.stringify(data),
        ack: f.ack ? JSON.stringify(f.ack) : null,
      });
    }
    for (const id of w.remove) this.s.findingDelete.run(id);
    for (const h of w.history) this.s.historyInsert.run({ ...h, detail: h.detail ?? null });
    this.s.evaluationInsert.run(w.at, w.openCount, w.revision);
  }

  acknowledge(id: string, ack: Acknowledgement): StoredFinding {
    return this.db.transaction(() => {
      const r = this.s.finding.get(id) as Row | undefined;
      if (!r || r.status === 'pending') throw new PortdriftError('PD_FINDING_NOT_FOUND', `no finding with id ${id}`);
      // An ack on a resolved finding would silently cover its next occurrence.
      if (r.status === 'resolved')
        throw new PortdriftError(
          'PD_FINDING_RESOLVED',
          `finding ${id} is resolved: there is nothing to acknowledge (if it comes back it is reported anew)`,
        );
      this.s.findingAck.run(JSON.stringify(ack), id);
      const f = findingRow({ ...r, ack: JSON.stringify(ack) });
      this.s.historyInsert.run({
        at: ack.at,
        findingId: id,
        kind: f.finding.kind,
        severity: f.finding.severity,
        resource: f.finding.resource,
        host: f.finding.host,
        port: f.finding.port,
        event: 'acknowledged',
        detail: ackDetail(ack),
      });
      return f;
    })();
  }

  history(q: HistoryQuery): HistoryEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.findingId) where.push('finding_id = ?'), args.push(q.findingId);
    if (q.since) where.push('at > ?'), args.push(q.since);
    const limit = Math.min(Math.max(q.limit ?? 1000, 1), 100_000);
    const sql =
      `SELECT * FROM (SELECT * FROM history ${where.length ? `WHERE ${where.join(' AND ')}` : ''}` +
      ` ORDER BY seq DESC LIMIT ${limit}) ORDER BY seq`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(historyRow);
  }

  openSeries(since: string | null, bucketMs: number): Array<{ at: string; open: number }> {
    return bucketSeries(
      this.s.series.iterate(since, since) as IterableIterator<{ at: string; open_count: number }>,
      bucketMs,
    );
  }
}
