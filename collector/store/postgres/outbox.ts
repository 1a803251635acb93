// The outbox table of a PostgreSQL store: what the replicas have to send, shared by all of them.
// - Reports: one row per period, unique on (kind, key) with the period's Message-ID as key, queued
//   in the transaction that advances the report state (`report.lastReportAt` in meta) and only if
//   the state is still the one the report was made from, so a period is queued once however many
//   replicas (or leaders one after another) make it.
// - Webhooks: one row per finding transition, unique on (finding id, event, time), queued in the
//   transaction that writes the transition, and only for a status the database did not hold yet,
//   so two replicas that evaluate the same change queue it once.
// Delivery claims due rows with SELECT … FOR UPDATE SKIP LOCKED and stamps them with its holder
// id and a claim expiry (the database's clock), renewed while a send lasts; a row sent is marked
// by the holder of its claim. A claim of a process that died lapses (after 3/4 of the leader lease,
// lease.ts leaseTimings: by the time another replica leads) and the row is claimed again:
// delivery is at least once, the window being a death between the receiver's acceptance and the
// mark.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Finding } from '../../../shared/types.js';
import type { EvaluationWrite } from '../types.js';
import { leaseTimings } from './lease.js';

/** How long a claim holds without renewal with the default lease (15 s). */
export const CLAIM_MS = leaseTimings().claimMs;
/** pg_advisory_xact_lock key that serialises report queueing across replicas. */
const REPORT_LOCK = '8098463211858670966';
const STATE_KEY = 'report.lastReportAt';

export interface OutboxRow<T> {
  id: string;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  mail: T;
}

interface Raw {
  id: string;
  key: string;
  payload: string;
  created_at: Date;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
}

const CLAIM = `
  UPDATE outbox SET claimed_by = $2, claimed_until = now() + $3 * interval '1 millisecond'
  WHERE id IN (
    SELECT id FROM outbox
    WHERE kind = $1 AND sent_at IS NULL AND (next_attempt_at <= now() OR $4)
      AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY id LIMIT $5
    FOR UPDATE SKIP LOCKED)
  RETURNING id, key, payload, created_at, attempts, next_attempt_at, last_error`;

const rowOf = <T>(r: Raw): OutboxRow<T> => ({
  id: String(r.id),
  createdAt: r.created_at.toISOString(),
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at.toISOString(),
  lastError: r.last_error,
  mail: JSON.parse(r.payload) as T,
});

/** The outbox of one replica: `holder` names its claims (the replica's lease holder id). */
export class PgOutbox {
  constructor(
    private readonly pool: pg.Pool,
    readonly holder: string,
    private readonly claimMs = CLAIM_MS,
  ) {}

  private prunedAt = 0;

  private async claimRows(kind: string, limit: number, force: boolean): Promise<Raw[]> {
    // Only the leader claims: it also forgets, once an hour, rows sent more than a week ago.
    if (Date.now() - this.prunedAt > 3_600_000) {
      this.prunedAt = Date.now();
      await this.prune(new Date(Date.now() - 7 * 86_400_000).toISOString());
    }
    const { rows } = await this.pool.query<Raw>(CLAIM, [kind, this.holder, this.claimMs, force, limit]);
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  async renew(id: string): Promise<void> {
    await this.pool.query(
      `UPDATE outbox SET claimed_until = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND claimed_by = $2 AND sent_at IS NULL`,
      [id, this.holder, this.claimMs],
    );
  }

  /** Marked sent by the holder of the claim; false when the claim had passed to another process. */
  async markSent(id: string): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE outbox SET sent_at = now(), claimed_until = NULL WHERE id = $1 AND claimed_by = $2 AND sent_at IS NULL',
      [id, this.holder],
    );
    if ((r.rowCount ?? 0) > 0) return true;
    // Already marked (by another process that reclaimed it): still leave it sent.
    await this.pool.query('UPDATE outbox SET sent_at = now() WHERE id = $1 AND sent_at IS NULL', [id]);
    return false;
  }

  /** Forget rows sent before `before` (ISO): what is kept meanwhile stops a transition being queued twice. */
  async prune(before: string): Promise<number> {
    const r = await this.pool.query('DELETE FROM outbox WHERE sent_at < $1::timestamptz', [before]);
    return r.rowCount ?? 0;
  }

  // --- reports (collector/report/outbox.ts: ReportOutbox) ---------------------------------------

  /** The report outbox over this table; `T` is the mail's shape (JSON). */
  reports<T>() {
    return {
      readState: async (): Promise<{ lastReportAt: string | null }> => {
        const r = await this.pool.query('SELECT value FROM meta WHERE key = $1', [STATE_KEY]);
        return { lastReportAt: (r.rows[0]?.value as string | undefined) ?? null };
      },
      queue: (mail: T, period: { since: string | null; at: string }) => this.queueReport<T>(mail, period),
      claimDue: async (_nowMs: number, force: boolean) => {
        const due = (await this.claimRows('report', 20, force)).map((r) => rowOf<T>(r));
        const { rows } = await this.pool.query(
          "SELECT count(*)::int AS n FROM outbox WHERE kind = 'report' AND sent_at IS NULL",
        );
        return { due, waiting: Math.max(0, (rows[0]?.n as number) - due.length) };
      },
      renew: (e: OutboxRow<T>) => this.renew(e.id),
      sent: (e: OutboxRow<T>) => this.markSent(e.id),
      failed: async (e: OutboxRow<T>, delayMs: number): Promise<void> => {
        await this.pool.query(
          `UPDATE outbox SET attempts = $2, last_error = $3, claimed_until = NULL,
            next_attempt_at = now() + $4 * interval '1 millisecond' WHERE id = $1 AND claimed_by = $5`,
          [e.id, e.attempts, e.lastError, delayMs, this.holder],
        );
      },
      pending: async (id: string): Promise<OutboxRow<T> | null> => {
        const { rows } = await this.pool.query<Raw>(
          `SELECT id, key, payload, created_at, attempts, next_attempt_at, last_error FROM outbox
            WHERE id = $1 AND sent_at IS NULL`,
          [id],
        );
        return rows[0] ? rowOf<T>(rows[0]) : null;
      },
    };
  }

  private async queueReport<T>(mail: T, period: { since: string | null; at: string }): Promise<OutboxRow<T> | null> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1)', [REPORT_LOCK]);
      const state = await c.query('SELECT value FROM meta WHERE key = $1', [STATE_KEY]);
      const current = (state.rows[0]?.value as string | undefined) ?? null;
      if (current !== period.since) {
        await c.query('ROLLBACK');
        return null;
      }
      const key = (mail as { headers?: Record<string, string> }).headers?.['Message-ID'] ?? `report ${period.at}`;
      const inserted = await c.query<Raw>(
        `INSERT INTO outbox (kind, key, payload) VALUES ('report', $1, $2) ON CONFLICT (kind, key) DO NOTHING
          RETURNING id, key, payload, created_at, attempts, next_attempt_at, last_error`,
        [key, JSON.stringify(mail)],
      );
      await c.query(
        'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [STATE_KEY, period.at],
      );
      await c.query('COMMIT');
      if (inserted.rows[0]) return rowOf<T>(inserted.rows[0]);
      // The period's row existed (queued, then the state lost): the one row stays the one email.
      const same = await this.pool.query<Raw>(
        `SELECT id, key, payload, created_at, attempts, next_attempt_at, last_error FROM outbox
          WHERE kind = 'report' AND key = $1`,
        [key],
      );
      return same.rows[0] ? rowOf<T>(same.rows[0]) : null;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  // --- webhooks (collector/alerts/outbox-pump.ts: AlertQueue) -----------------------------------

  /** Transitions not yet delivered, claimed for this process. */
  async claimAlerts(limit: number): Promise<Array<{ id: string; deliveryId: string; event: AlertRow }>> {
    return (await this.claimRows('webhook', limit, true)).map((r) => ({
      id: String(r.id),
      deliveryId: deliveryIdOf(r.key),
      event: JSON.parse(r.payload) as AlertRow,
    }));
  }
}

/** What a webhook row holds: the transition as the alert dispatcher takes it. */
export interface AlertRow {
  type: 'opened' | 'resolved';
  finding: Finding;
  at: string;
}

/** A UUID-shaped id derived from `key` (a transition's, a digest's): every replica derives the same one. */
export function deliveryIdOf(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The history events that are transitions: what the outbox alerts on, once each. */
export const TRANSITION_EVENTS: ReadonlySet<string> = new Set(['opened', 'reopened', 'resolved']);

/**
 * Queue the transitions of an evaluation, inside its transaction (after the findings lock, before
 * the findings are written). `fresh` holds only the transitions the database did not hold yet
 * (PgFindings drops the ones another replica wrote first), so each is queued once.
 */
export async function queueTransitions(
  c: pg.PoolClient,
  fresh: EvaluationWrite['history'],
  upsert: EvaluationWrite['upsert'],
): Promise<void> {
  const byId = new Map(upsert.map((u) => [u.finding.id, u.finding]));
  const keys: string[] = [];
  const payloads: string[] = [];
  for (const e of fresh) {
    const finding = byId.get(e.findingId);
    if (!finding || !TRANSITION_EVENTS.has(e.event)) continue;
    const type = e.event === 'resolved' ? 'resolved' : 'opened';
    keys.push(`${e.findingId} ${e.event} ${e.at}`);
    payloads.push(JSON.stringify({ type, finding, at: e.at } satisfies AlertRow));
  }
  if (keys.length === 0) return;
  await c.query(
    `INSERT INTO outbox (kind, key, payload) SELECT 'webhook', k, p FROM unnest($1::text[], $2::text[]) AS u(k, p)
      ON CONFLICT (kind, key) DO NOTHING`,
    [keys, payloads],
  );
}
