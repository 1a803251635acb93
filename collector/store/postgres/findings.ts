// Findings, evaluations, acknowledgements, history, ignore rules and meta on PostgreSQL. An
// evaluation is one transaction under an advisory lock: two replicas evaluating at once write
// their transitions one after the other, never interleaved.
import type pg from 'pg';
import { PortdriftError } from '../../../shared/errors.js';
import type { Acknowledgement } from '../../../shared/types.js';
import { ackDetail, bucketSeries, findingRow, historyRow, ignoreRow, type Row } from '../rows.js';
import { newId } from '../tokens.js';
import { TRANSITION_EVENTS, queueTransitions } from './outbox.js';
import type { EvaluationWrite, HistoryEntry, HistoryQuery, IgnoreRule, StoredFinding } from '../types.js';

type Tx = <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;

/** pg_advisory_xact_lock key that serialises finding writes across replicas. */
const FINDINGS_LOCK = '8098463211858670965';

const HISTORY_INSERT =
  `INSERT INTO history (at, finding_id, kind, severity, resource, host, port, event, detail)
  SELECT * FROM ` +
  `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[])`;

async function insertHistory(c: pg.PoolClient, h: ReadonlyArray<Omit<HistoryEntry, 'seq'>>): Promise<void> {
  if (h.length === 0) return;
  await c.query(HISTORY_INSERT, [
    h.map((e) => e.at),
    h.map((e) => e.findingId),
    h.map((e) => e.kind),
    h.map((e) => e.severity),
    h.map((e) => e.resource),
    h.map((e) => e.host),
    h.map((e) => e.port),
    h.map((e) => e.event),
    h.map((e) => e.detail ?? null),
  ]);
}

/**
 * The history of an evaluation without the transitions the database already holds. Two replicas
 * that evaluate the same change from the same earlier state (a moment apart, each after its own
 * batch) both judge it a transition; the findings lock makes the second one wait, and here it
 * finds the status written by the first, so the change is in the history (and the outbox) once.
 */
async function unwritten(c: pg.PoolClient, history: EvaluationWrite['history']): Promise<EvaluationWrite['history']> {
  const ids = history.filter((h) => TRANSITION_EVENTS.has(h.event)).map((h) => h.findingId);
  if (ids.length === 0) return history;
  const { rows } = await c.query('SELECT id, status FROM findings WHERE id = ANY($1::text[])', [ids]);
  const held = new Map(rows.map((r) => [r.id as string, r.status as string]));
  return history.filter((h) => {
    if (!TRANSITION_EVENTS.has(h.event)) return true;
    const was = held.get(h.findingId);
    return h.event === 'resolved' ? was === 'open' : was !== 'open';
  });
}

export class PgFindings {
  /** Queue each transition's webhook alert in the evaluation's transaction (when webhooks are configured). */
  queueAlerts = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly tx: Tx,
  ) {}

  async findings(): Promise<StoredFinding[]> {
    return (await this.pool.query('SELECT * FROM findings ORDER BY id')).rows.map(findingRow);
  }

  async finding(id: string): Promise<StoredFinding | null> {
    const r = (await this.pool.query('SELECT * FROM findings WHERE id = $1', [id])).rows[0] as Row | undefined;
    return r ? findingRow(r) : null;
  }

  applyEvaluation(w: EvaluationWrite): Promise<void> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [FINDINGS_LOCK]);
      const history = await unwritten(c, w.history);
      if (this.queueAlerts) await queueTransitions(c, history, w.upsert);
      if (w.upsert.length > 0) {
        const u = w.upsert;
        const data = u.map((f) => {
          const { ack: _drop, ...rest } = f.finding;
          return JSON.stringify(rest);
        });
        await c.query(
          `INSERT INTO findings (id, status, kind, severity, present, absent, data, ack)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], ` +
            `$7::text[], $8::text[])
          ON CONFLICT (id) DO UPDATE SET status = excluded.status, kind = excluded.kind, severity = excluded.severity,
            present = excluded.present, absent = excluded.absent, data = excluded.data, ack = excluded.ack`,
          [
            u.map((f) => f.finding.id),
            u.map((f) => f.status),
            u.map((f) => f.finding.kind),
            u.map((f) => f.finding.severity),
            u.map((f) => f.present),
            u.map((f) => f.absent),
            data,
            u.map((f) => (f.ack ? JSON.stringify(f.ack) : null)),
          ],
        );
      }
      if (w.remove.length > 0) await c.query('DELETE FROM findings WHERE id = ANY($1::text[])', [w.remove]);
      await insertHistory(c, history);
      await c.query(
        `INSERT INTO evaluations (at, open_count, revision) VALUES ($1, $2, $3)
          ON CONFLICT (at) DO UPDATE SET open_count = excluded.open_count, revision = excluded.revision`,
        [w.at, w.openCount, w.revision],
      );
    });
  }

  acknowledge(id: string, ack: Acknowledgement): Promise<StoredFinding> {
    return this.tx(async (c) => {
      const r = (await c.query('SELECT * FROM findings WHERE id = $1 FOR UPDATE', [id])).rows[0] as Row | undefined;
      if (!r || r.status === 'pending') throw new PortdriftError('PD_FINDING_NOT_FOUND', `no finding with id ${id}`);
      if (r.status === 'resolved')
        throw new PortdriftError(
          'PD_FINDING_RESOLVED',
          `finding ${id} is resolved: there is nothing to acknowledge (if it comes back it is reported anew)`,
        );
      await c.query('UPDATE findings SET ack = $1 WHERE id = $2', [JSON.stringify(ack), id]);
      const f = findingRow({ ...r, ack: JSON.stringify(ack) });
      const { kind, severity, resource, host, port } = f.finding;
      await insertHistory(c, [
        {
          at: ack.at,
          findingId: id,
          kind,
          severity,
          resource,
          host,
          port,
          event: 'acknowledged',
          detail: ackDetail(ack),
        },
      ]);
      return f;
    });
  }

  async history(q: HistoryQuery): Promise<HistoryEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.findingId) args.push(q.findingId), where.push(`finding_id = $${args.length}`);
    if (q.since) args.push(q.since), where.push(`at > $${args.length}`);
    const limit = Math.min(Math.max(q.limit ?? 1000, 1), 100_000);
    const sql =
      `SELECT * FROM (SELECT * FROM history ${where.length ? `WHERE ${where.join(' AND ')}` : ''}` +
      ` ORDER BY seq DESC LIMIT ${limit}) h ORDER BY seq`;
    return (await this.pool.query(sql, args)).rows.map(historyRow);
  }

  async openSeries(since: string | null, bucketMs: number): Promise<Array<{ at: string; open: number }>> {
    const { rows } = await this.pool.query(
      'SELECT at, open_count FROM evaluations WHERE ($1::text IS NULL OR at > $1) ORDER BY at',
      [since],
    );
    return bucketSeries(rows as Array<{ at: string; open_count: number }>, bucketMs);
  }

  async addIgnore(rule: Omit<IgnoreRule, 'id'>): Promise<IgnoreRule> {
    const id = newId('ign');
    await this.pool.query(
      'INSERT INTO ignores (id, resource, host, port, kind, reason, by, ' +
        'created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [id, rule.resource, rule.host, rule.port, rule.kind, rule.reason, rule.by, rule.createdAt, rule.expiresAt],
    );
    return { id, ...rule };
  }

  async ignores(): Promise<IgnoreRule[]> {
    return (await this.pool.query('SELECT * FROM ignores ORDER BY created_at, id')).rows.map(ignoreRow);
  }

  async removeIgnore(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM ignores WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async getMeta(key: string): Promise<string | null> {
    return (
      ((await this.pool.query('SELECT value FROM meta WHERE key = $1', [key])).rows[0]?.value as string | undefined) ??
      null
    );
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }
}
