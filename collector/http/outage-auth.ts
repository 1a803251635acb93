// Reading /metrics while the store cannot be reached. Tokens live in the store, so a database
// outage would make every scrape a 503 and `portdrift_store_up` could never say 0. A reader (or
// admin) token this collector authenticated within the last ten minutes is let in to the routes
// that answer during an outage (GET /metrics) while the store is unavailable, and only then;
// any other answer of the store (unknown, revoked) forgets it. Nothing is written meanwhile, and
// a revocation needs the store anyway.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isPortdriftError } from '../../shared/errors.js';
import type { Store, TokenRecord } from '../store/types.js';
import { type Access, authorize, bearer } from './auth.js';

/** How long a reader's last successful authentication lets it in during an outage. */
export const OUTAGE_READER_TTL_MS = 10 * 60_000;
/** Distinct tokens remembered at most (readers are few: Prometheus, dashboards). */
const MAX = 64;

export class RecentReaders {
  private readonly seen = new Map<string, { record: TokenRecord; at: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** authorize(), with the remembered readers let in while the store is unavailable. */
  async authorize(
    req: IncomingMessage,
    access: Access,
    store: Store,
    now: string,
    duringOutage: boolean,
  ): Promise<TokenRecord | null> {
    if (!duringOutage || access !== 'reader') return authorize(req, access, store, now);
    const key = createHash('sha256')
      .update(bearer(req) ?? '')
      .digest('hex');
    try {
      const token = await authorize(req, access, store, now);
      this.seen.delete(key);
      if (token) {
        if (this.seen.size >= MAX) this.seen.delete(this.seen.keys().next().value!);
        this.seen.set(key, { record: token, at: this.clock() });
      }
      return token;
    } catch (err) {
      const known = this.seen.get(key);
      if (isPortdriftError(err) && err.code === 'PD_STORE_UNAVAILABLE' && known) {
        if (this.clock() - known.at <= OUTAGE_READER_TTL_MS) return known.record;
      }
      this.seen.delete(key);
      throw err;
    }
  }
}
