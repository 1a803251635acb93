// Bytes of request bodies in flight, across every request: each batch body is held in memory
// while it is read, parsed and stored, and parallel batches add up (24 parallel 32 MiB batches
// took a collector from 333 MB to 1.8 GB). Past the cap a batch is answered 503 with
// Retry-After: agents back off and keep it spooled, nothing is lost.
import { PortdriftError } from '../../shared/errors.js';

export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  /** A holder for one request's bytes; release it when the request is done with its body. */
  hold(): BudgetHold {
    return new BudgetHold(this);
  }

  /** @internal */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  /** @internal */
  give(n: number): void {
    this.used -= n;
  }
}

export class BudgetHold {
  private held = 0;

  constructor(private readonly budget: ByteBudget) {}

  /** Take `n` more bytes, or throw PD_HTTP_BUSY (503, with a Retry-After of 1–5 s). */
  take(n: number): void {
    if (this.budget.take(n)) {
      this.held += n;
      return;
    }
    // Spread the retries of many agents refused at the same moment.
    const retryAfterSeconds = 1 + Math.floor(Math.random() * 5);
    const { inFlight, limit } = this.budget;
    const message =
      `the collector is reading ${inFlight} bytes of batches already (limit ${limit}); ` +
      `retry in ${retryAfterSeconds} s`;
    throw new PortdriftError('PD_HTTP_BUSY', message, {
      details: { inFlightBytes: inFlight, limitBytes: limit, retryAfterSeconds },
    });
  }

  release(): void {
    this.budget.give(this.held);
    this.held = 0;
  }
}
