// Sends alerts when findings open or resolve, to every configured webhook: filtered by event
// and severity, capped per hour with a digest of what was held back, signed, delivered in order
// with retries. The collector calls `notify` from its finding-transition hook; nothing here
// blocks it (deliveries run on a per-webhook queue). Replicas on PostgreSQL queue transitions in
// the database instead, and the leader hands each to `deliverNow` (outbox-pump.ts).
import type { Logger } from '../../shared/log.js';
import type { Severity } from '../../shared/types.js';
import { HourlyCap } from './cap.js';
import { DEFAULT_RETRY, deliver, redactUrl, type RetryPolicy } from './deliver.js';
import { type AlertEvent, type AlertEventType, body, type Digest, type WebhookFormat } from './payload.js';

export interface WebhookConfig {
  url: string;
  format: WebhookFormat;
  /** HMAC-SHA256 key; deliveries are signed when set. */
  secret?: string;
  /** Events sent one by one per hour before the rest is held for a digest (default 12). */
  maxPerHour?: number;
  /** Only findings at or above this severity (default `low`: all). */
  minSeverity?: Severity;
  /** Which transitions to send (default both). */
  events?: AlertEventType[];
}

export interface DispatcherOptions {
  webhooks: WebhookConfig[];
  /** Named in every message, e.g. `prod`. */
  scope: string;
  log: Logger;
  retry?: RetryPolicy;
  now?: () => number;
  /** Length of a cap window (default one hour; tests shorten it). */
  windowMs?: number;
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

interface Hook {
  cfg: WebhookConfig;
  cap: HourlyCap;
  queue: Promise<void>;
  timer?: NodeJS.Timeout;
}

export class AlertDispatcher {
  private readonly hooks: Hook[];
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? Date.now;
    this.hooks = o.webhooks.map((cfg) => ({
      cfg,
      cap: new HourlyCap(cfg.maxPerHour ?? 12, o.windowMs),
      queue: Promise.resolve(),
    }));
  }

  /** A finding opened or resolved. Returns at once; deliveries happen in the background. */
  notify(event: AlertEvent): void {
    void this.dispatch(event);
  }

  /**
   * The same, resolving once every webhook has had this event (delivered, given up, or held for
   * the digest). `deliveryId` is sent as X-Portdrift-Delivery to every webhook, on every attempt
   * and by whichever replica delivers it, so a receiver can drop a repeat.
   */
  deliverNow(event: AlertEvent, deliveryId?: string): Promise<void> {
    return this.dispatch(event, deliveryId);
  }

  private dispatch(event: AlertEvent, deliveryId?: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const queued: Promise<void>[] = [];
    for (const h of this.hooks) {
      if (h.cfg.events && !h.cfg.events.includes(event.type)) continue;
      if (RANK[event.finding.severity] < RANK[h.cfg.minSeverity ?? 'low']) continue;
      if (h.cap.admit(event, this.now())) {
        const type = event.type === 'opened' ? 'finding.opened' : 'finding.resolved';
        queued.push(this.enqueue(h, type, body(h.cfg.format, this.o.scope, { event }), deliveryId));
      } else this.armDigest(h);
    }
    return Promise.all(queued).then(() => undefined);
  }

  /** Resolves when every queued delivery has finished (sent or given up). */
  async idle(): Promise<void> {
    let before: Promise<void>[];
    do {
      before = this.hooks.map((h) => h.queue);
      await Promise.all(before);
    } while (this.hooks.some((h, i) => h.queue !== before[i]));
  }

  /** Stop timers; held alerts are sent as a last digest so nothing is silently dropped. */
  async stop(): Promise<void> {
    for (const h of this.hooks) {
      clearTimeout(h.timer);
      const d = h.cap.takeDigest(Number.MAX_SAFE_INTEGER);
      if (d) this.sendDigest(h, d);
    }
    this.stopped = true;
    await this.idle();
  }

  private armDigest(h: Hook): void {
    if (h.timer) return;
    const due = h.cap.digestDueAt();
    if (due === null) return;
    h.timer = setTimeout(
      () => {
        h.timer = undefined;
        const d = h.cap.takeDigest(this.now());
        if (d) this.sendDigest(h, d);
        else this.armDigest(h);
      },
      Math.max(0, due - this.now()),
    );
    h.timer.unref();
  }

  private sendDigest(h: Hook, d: Digest): void {
    this.o.log.info(
      { webhook: redactUrl(h.cfg.url), held: d.events.length },
      'alert digest: alerts held back by the hourly cap',
    );
    void this.enqueue(h, 'digest', body(h.cfg.format, this.o.scope, { digest: d }));
  }

  private enqueue(h: Hook, event: string, text: string, id?: string): Promise<void> {
    h.queue = h.queue.then(async () => {
      try {
        const r = await deliver(
          {
            url: h.cfg.url,
            body: text,
            event,
            ...(h.cfg.secret ? { secret: h.cfg.secret } : {}),
            ...(id ? { id } : {}),
          },
          this.o.retry ?? DEFAULT_RETRY,
        );
        this.o.log.debug(
          { webhook: redactUrl(h.cfg.url), event, delivery: r.id, attempts: r.attempts },
          'webhook delivered',
        );
      } catch (err) {
        this.o.log.error(
          { webhook: redactUrl(h.cfg.url), event, err: (err as Error).message, code: (err as { code?: string }).code },
          'webhook delivery failed',
        );
      }
    });
    return h.queue;
  }
}
