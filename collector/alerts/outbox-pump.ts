// Several replicas on one database: every replica queues the finding transitions it writes (in
// the transaction that writes them, one row per transition), and the leader alone delivers them
// here, oldest first. A row is claimed before its delivery and marked done after it; a leader
// killed meanwhile leaves a claim that lapses, and the next leader delivers the row again with
// the same X-Portdrift-Delivery id (at least once, so a receiver can drop the repeat).
import type { Logger } from '../../shared/log.js';
import { DEFAULT_CLAIM_RENEW_MS, whileRenewing } from '../claim-renewal.js';
import type { AlertDispatcher } from './dispatcher.js';
import type { AlertEvent } from './payload.js';

/** One queued transition, claimed by this process until `done`. */
export interface QueuedAlert {
  id: string;
  /** Stable per transition: the delivery id every webhook receives. */
  deliveryId: string;
  event: AlertEvent;
}

export interface AlertQueue {
  /** Claim up to `limit` transitions not yet delivered, oldest first (none another process holds). */
  claim(limit: number): Promise<QueuedAlert[]>;
  /** Keep the claim while a delivery (with its retries) lasts. */
  renew(id: string): Promise<void>;
  /** Delivered (or given up after the retries, as a single collector does). */
  done(id: string): Promise<void>;
}

export interface AlertPumpOptions {
  queue: AlertQueue;
  dispatcher: AlertDispatcher;
  isLeader: () => boolean;
  log: Logger;
  /** How often the leader looks for queued transitions (default 1 s). */
  pollMs?: number;
  /** How often a claim is renewed during a delivery (default 5 s). */
  renewMs?: number;
}

export class AlertPump {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: AlertPumpOptions) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.pump()
          .catch((err) => this.o.log.error({ err: (err as Error).message }, 'webhook outbox delivery failed'))
          .finally(() => {
            this.running = null;
            loop();
          });
      }, this.o.pollMs ?? 1000);
      this.timer.unref();
    };
    loop();
  }

  /**
   * Deliver what is queued while this replica leads; resolves when nothing is left to claim. First
   * the digests of cap windows that have ended (held back by this leader or one before it).
   */
  async pump(): Promise<void> {
    if (!this.stopped && this.o.isLeader()) await this.o.dispatcher.sendDueDigests();
    for (let round = 0; round < 100 && !this.stopped && this.o.isLeader(); round++) {
      const rows = await this.o.queue.claim(50);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.stopped) return; // the claim lapses and the next leader delivers it
        await whileRenewing(
          () => this.o.queue.renew(row.id),
          this.o.renewMs ?? DEFAULT_CLAIM_RENEW_MS,
          () => this.o.dispatcher.deliverNow(row.event, row.deliveryId),
        );
        await this.o.queue.done(row.id);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
