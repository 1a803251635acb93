// The hourly cap of replicas on one database (collector/store/postgres/alert-caps.ts): the window,
// the count sent in it and the alerts held back for its digest live in the database, not in the
// leader's memory, so a new leader goes on counting the same window and sends the digest of what
// the last leader held back. A digest is cleared only once sent: a leader that dies in the middle
// leaves it for the next one (at least once, with the same delivery id).
import { createHash } from 'node:crypto';
import type { AlertEvent, Digest } from './payload.js';

/** A webhook's name in the database: its URL's SHA-256 (the URL, which may carry a secret, is not stored). */
export function webhookKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}

export interface DueDigest {
  digest: Digest;
  /** X-Portdrift-Delivery of the digest: the same for whichever leader sends it. */
  deliveryId: string;
  /** What digestSent clears (the window and the held alerts in it). */
  taken: { windowStart: number; upTo: string };
}

export interface SharedCap {
  /**
   * Count `event` in the webhook's window (opened at `now` when none is open or it ended): true
   * when it goes out now, false when it is held for the digest. An alert already held (the same
   * delivery id, delivered again after a leader died) stays held once.
   */
  admit(
    webhook: string,
    event: AlertEvent,
    deliveryId: string,
    o: { now: number; max: number; windowMs: number },
  ): Promise<boolean>;
  /** The digest of the webhook's ended window, if it held anything back. */
  dueDigest(webhook: string, now: number, windowMs: number): Promise<DueDigest | null>;
  /** The digest was sent (or given up after its retries): clear it and close its window. */
  digestSent(webhook: string, taken: DueDigest['taken']): Promise<void>;
}
