// The leader lease: of the replicas on one database, one runs the scheduled work (interval ticks:
// damping cycles, IaC reload, pruning). A row of `leases` names the holder and an expiry in the
// database's clock. The lease lasts `leaderLease` (TTL, 20 s by default) and the holder renews it
// every TTL / 4; another replica takes it only once it has expired, so a leader that died
// (SIGKILL, lost machine) is replaced within TTL + TTL / 4 (25 s by default): the row runs out at
// most TTL after the last renewal, and the others try every TTL / 4. A leader that cannot renew
// (database unreachable) stops leading on its own TTL / 4 before the row expires, so two replicas
// never both believe they lead. A clean stop hands the lease back.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/** The default lease (the collector's `leaderLease`). */
export const TTL_MS = 20_000;
export const RENEW_MS = TTL_MS / 4;

/** Every timing of leadership and of outbox claims, derived from one setting: the lease. */
export interface LeaseTimings {
  /** How long the lease row holds without renewal. */
  ttlMs: number;
  /** How often the holder renews it, and how often the others try to take it. */
  renewMs: number;
  /** How long an outbox claim holds without renewal. */
  claimMs: number;
  /** How often a claim is renewed while its send lasts. */
  claimRenewMs: number;
}

/**
 * The timings of a lease of `ttlMs`. An outbox claim lasts 3/4 of the lease. A living leader
 * renews its lease every TTL / 4, so when it dies its row still runs for at least 3/4 TTL, and
 * every claim it took or renewed before dying lapses within 3/4 TTL of its death: no later than
 * the lease, so the next leader sends what the dead one left at once instead of waiting for its
 * claims. A claim is renewed every third of its length (TTL / 4) while a send lasts, so two
 * renewals in a row may be late or fail (a slow database, a busy machine) before a send still
 * under way loses it. Default: lease 20 s renewed every 5 s, claims 15 s renewed every 5 s.
 */
export function leaseTimings(ttlMs: number = TTL_MS): LeaseTimings {
  const claimMs = Math.round((ttlMs * 3) / 4);
  return { ttlMs, renewMs: Math.round(ttlMs / 4), claimMs, claimRenewMs: Math.round(claimMs / 3) };
}

const CLAIM = `
  INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
  ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
  WHERE leases.holder = excluded.holder OR leases.expires_at < now()
  RETURNING holder`;

export interface Leadership {
  readonly holder: string;
  /** Whether this replica holds the lease now. */
  isLeader(): boolean;
  stop(): Promise<void>;
}

export class PgLease implements Leadership {
  readonly holder = `replica_${randomBytes(6).toString('hex')}`;
  private heldUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: { name?: string; ttlMs?: number; renewMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** One claim or renewal; true when this replica holds the lease afterwards. */
  async claim(): Promise<boolean> {
    const ttl = this.o.ttlMs ?? TTL_MS;
    const asked = this.now();
    try {
      const r = await this.pool.query(CLAIM, [this.o.name ?? 'leader', this.holder, ttl]);
      // Held from when it was asked (not answered) for a little less than the TTL: this side
      // lets go before the row expires for the others.
      this.heldUntil = (r.rowCount ?? 0) > 0 ? asked + ttl - (this.o.renewMs ?? RENEW_MS) : 0;
    } catch {
      // Unreachable: keep what is held until it runs out; the next attempt may succeed.
    }
    return this.isLeader();
  }

  isLeader(): boolean {
    return !this.stopped && this.now() < this.heldUntil;
  }

  async start(): Promise<void> {
    await this.claim();
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.claim().finally(loop), this.o.renewMs ?? RENEW_MS);
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.heldUntil === 0) return;
    this.heldUntil = 0;
    await this.pool
      .query('DELETE FROM leases WHERE name = $1 AND holder = $2', [this.o.name ?? 'leader', this.holder])
      .catch(() => {});
  }
}
