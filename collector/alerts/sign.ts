// HMAC-SHA256 signatures of webhook deliveries, so a receiver can tell a real portdrift alert
// from a forged one. The signed string is `<timestamp>.<body>`: including the timestamp lets the
// receiver refuse replays of an old delivery (Stripe and Slack sign the same way).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Portdrift-Signature';
export const TIMESTAMP_HEADER = 'X-Portdrift-Timestamp';

/** `sha256=<hex>` over `${timestamp}.${body}`; timestamp in Unix seconds. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute and compare in constant time, and refuse a timestamp older
 * (or newer) than `toleranceS` seconds. Exported for docs/reports.md and the tests.
 */
export function verify(
  secret: string,
  body: string,
  signature: string | undefined,
  timestamp: string | undefined,
  nowS: number,
  toleranceS = 300,
): boolean {
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (Math.abs(nowS - ts) > toleranceS) return false;
  const want = Buffer.from(sign(secret, ts, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
