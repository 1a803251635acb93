// Webhooks' hourly caps shared by the replicas (the SharedCap of collector/alerts/shared-cap.ts):
// `alert_caps` holds each webhook's window start and count, `alert_held` the alerts held back for
// its digest (as the JSON the dispatcher gave). A webhook is named by the dispatcher (a hash of
// its URL, which may carry a secret). Each admission locks its webhook's row, so a brief overlap
// of two leaders still counts every alert once.
import type pg from 'pg';
import { num } from '../rows.js';
import { type AlertRow as HeldEvent, deliveryIdOf } from './outbox.js';

export interface PgDueDigest {
  digest: { from: string; to: string; events: HeldEvent[] };
  deliveryId: string;
  taken: { windowStart: number; upTo: string };
}

export class PgAlertCaps {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tx: <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  admit(
    webhook: string,
    event: HeldEvent,
    deliveryId: string,
    o: { now: number; max: number; windowMs: number },
  ): Promise<boolean> {
    return this.tx(async (c) => {
      await c.query('INSERT INTO alert_caps (webhook) VALUES ($1) ON CONFLICT (webhook) DO NOTHING', [webhook]);
      const { rows } = await c.query<{ window_start: unknown; sent: number }>(
        'SELECT window_start, sent FROM alert_caps WHERE webhook = $1 FOR UPDATE',
        [webhook],
      );
      const held = await c.query('SELECT 1 FROM alert_held WHERE webhook = $1 AND delivery_id = $2', [
        webhook,
        deliveryId,
      ]);
      if ((held.rowCount ?? 0) > 0) return false;
      let start = rows[0]!.window_start === null ? null : num(rows[0]!.window_start);
      let sent = rows[0]!.sent;
      if (start === null || o.now >= start + o.windowMs) {
        start = o.now;
        sent = 0;
      }
      const admitted = sent < o.max;
      await c.query('UPDATE alert_caps SET window_start = $2, sent = $3 WHERE webhook = $1', [
        webhook,
        start,
        admitted ? sent + 1 : sent,
      ]);
      if (!admitted)
        await c.query('INSERT INTO alert_held (webhook, delivery_id, event) VALUES ($1, $2, $3)', [
          webhook,
          deliveryId,
          JSON.stringify(event),
        ]);
      return admitted;
    });
  }

  async dueDigest(webhook: string, now: number, windowMs: number): Promise<PgDueDigest | null> {
    const cap = await this.pool.query<{ window_start: unknown }>(
      'SELECT window_start FROM alert_caps WHERE webhook = $1 AND window_start IS NOT NULL',
      [webhook],
    );
    if (!cap.rows[0]) return null;
    const start = num(cap.rows[0].window_start);
    if (now < start + windowMs) return null;
    const { rows } = await this.pool.query<{ seq: string; event: string }>(
      'SELECT seq, event FROM alert_held WHERE webhook = $1 ORDER BY seq',
      [webhook],
    );
    if (rows.length === 0) return null;
    return {
      digest: {
        from: new Date(start).toISOString(),
        to: new Date(start + windowMs).toISOString(),
        events: rows.map((r) => JSON.parse(r.event) as HeldEvent),
      },
      deliveryId: deliveryIdOf(`digest ${webhook} ${start}`),
      taken: { windowStart: start, upTo: String(rows.at(-1)!.seq) },
    };
  }

  digestSent(webhook: string, taken: PgDueDigest['taken']): Promise<void> {
    return this.tx(async (c) => {
      await c.query('DELETE FROM alert_held WHERE webhook = $1 AND seq <= $2', [webhook, taken.upTo]);
      await c.query('UPDATE alert_caps SET window_start = NULL, sent = 0 WHERE webhook = $1 AND window_start = $2', [
        webhook,
        taken.windowStart,
      ]);
    });
  }
}
