// The per-hour cap of one webhook (Wazuh's `email_maxperhour`, default 12): the first `max`
// alerts of an hour window go out at once; the rest are held and sent as one digest when the
// window ends, so an incident that opens 300 findings makes 12 messages and a summary, not 300.
import type { AlertEvent, Digest } from './payload.js';

export const HOUR_MS = 3_600_000;

export class HourlyCap {
  private windowStart: number | null = null;
  private sent = 0;
  private held: AlertEvent[] = [];

  constructor(
    readonly max: number,
    readonly windowMs = HOUR_MS,
  ) {}

  /** True: send this event now. False: it is held for the digest. */
  admit(event: AlertEvent, now: number): boolean {
    if (this.windowStart === null || now >= this.windowStart + this.windowMs) {
      // The previous window's digest must have been taken (see `takeDigest`) before a new window opens.
      this.windowStart = now;
      this.sent = 0;
    }
    if (this.sent < this.max) {
      this.sent++;
      return true;
    }
    this.held.push(event);
    return false;
  }

  /** When the current window ends and a digest is due, or null when nothing is held. */
  digestDueAt(): number | null {
    return this.held.length > 0 && this.windowStart !== null ? this.windowStart + this.windowMs : null;
  }

  /** The digest of the ended window (and a fresh window), or null if none is due at `now`. */
  takeDigest(now: number): Digest | null {
    const due = this.digestDueAt();
    if (due === null || now < due) return null;
    const digest: Digest = {
      from: new Date(this.windowStart!).toISOString(),
      to: new Date(due).toISOString(),
      events: this.held,
    };
    this.held = [];
    this.windowStart = null;
    this.sent = 0;
    return digest;
  }
}
