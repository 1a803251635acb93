// Sends alerts when findings open or resolve, to every configured webhook: filtered by event
// and severity, capped per hour with a digest of what was held back, signed, delivered in order
// with retries. The collector calls `notify` from its finding-transition hook; nothing here
// blocks it (deliveries run on a per-webhook queue). Replicas on PostgreSQL queue transitions in
// the database instead, and the leader hands each to `deliverNow` (outbox-pump.ts); their cap and
// the alerts it holds back live in the database too (`shared`), so a new leader sends the digest.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import type { Severity } from '../../shared/types.js';
import { HourlyCap } from './cap.js';
import { DEFAULT_RETRY, deliver, redactUrl, type RetryPolicy } from './deliver.js';
import { type AlertEvent, type AlertEventType, body, type Digest, type WebhookFormat } from './payload.js';
import { type SharedCap, webhookKey } from './shared-cap.js';

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
  /**
   * Replicas on one database: the cap kept there instead of in memory. Digests are then sent by
   * `sendDueDigests` (the leader's outbox poll), not by a timer of this process.
   */
  shared?: SharedCap;
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

interface Hook {
  cfg: WebhookConfig;
  /** Its name in the shared cap. */
  key: string;
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
      key: webhookKey(cfg.url),
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
      const type = event.type === 'opened' ? 'finding.opened' : 'finding.resolved';
      const text = body(h.cfg.format, this.o.scope, { event });
      if (this.o.shared) queued.push(this.admitShared(h, this.o.shared, event, type, text, deliveryId));
      else if (h.cap.admit(event, this.now())) queued.push(this.enqueue(h, type, text, deliveryId));
      else this.armDigest(h);
    }
    return Promise.all(queued).then(() => undefined);
  }

  /**
   * On the webhook's queue: first the digest of an ended window, then this event counted in the
   * database's window, sent or held. Rejects when the database cannot be reached, so the outbox
   * row stays undelivered and is tried again.
   */
  private admitShared(
    h: Hook,
    shared: SharedCap,
    event: AlertEvent,
    type: string,
    text: string,
    deliveryId: string = randomUUID(),
  ): Promise<void> {
    return this.chain(h, async () => {
      await this.digestIfDue(h, shared);
      // The webhook's limits, as its in-memory cap holds them.
      const o = { now: this.now(), max: h.cap.max, windowMs: h.cap.windowMs };
      if (await shared.admit(h.key, event, deliveryId, o)) await this.send(h, type, text, deliveryId);
    });
  }

  private async digestIfDue(h: Hook, shared: SharedCap): Promise<void> {
    const due = await shared.dueDigest(h.key, this.now(), h.cap.windowMs);
    if (!due) return;
    this.logDigest(h, due.digest);
    await this.send(h, 'digest', body(h.cfg.format, this.o.scope, { digest: due.digest }), due.deliveryId);
    await shared.digestSent(h.key, due.taken);
  }

  /**
   * Replicas on one database: send the digest of every webhook whose window has ended with alerts
   * held back, whichever leader held them. The leader calls it on its outbox poll.
   */
  async sendDueDigests(): Promise<void> {
    const shared = this.o.shared;
    if (!shared || this.stopped) return;
    await Promise.all(this.hooks.map((h) => this.chain(h, () => this.digestIfDue(h, shared))));
  }

  /** Resolves when every queued delivery has finished (sent or given up). */
  async idle(): Promise<void> {
    let before: Promise<void>[];
    do {
      before = this.hooks.map((h) => h.queue);
      await Promise.all(before);
    } while (this.hooks.some((h, i) => h.queue !== before[i]));
  }

  /**
   * Stop timers; held alerts are sent as a last digest so nothing is silently dropped. With a
   * shared cap they stay in the database for the next leader's digest at the end of the window.
   */
  async stop(): Promise<void> {
    for (const h of this.hooks) {
      if (this.o.shared) continue;
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
    this.logDigest(h, d);
    void this.enqueue(h, 'digest', body(h.cfg.format, this.o.scope, { digest: d }));
  }

  private logDigest(h: Hook, d: Digest): void {
    this.o.log.info(
      { webhook: redactUrl(h.cfg.url), held: d.events.length },
      'alert digest: alerts held back by the hourly cap',
    );
  }

  /** `work` after everything queued for this webhook; a failure rejects its caller, not the queue. */
  private chain(h: Hook, work: () => Promise<void>): Promise<void> {
    const run = h.queue.then(work);
    h.queue = run.catch(() => undefined);
    return run;
  }

  private enqueue(h: Hook, event: string, text: string, id?: string): Promise<void> {
    return this.chain(h, () => this.send(h, event, text, id));
  }

  /** One delivery with its retries; a failure after them is logged (the alert is given up). */
  private async send(h: Hook, event: string, text: string, id?: string): Promise<void> {
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
  }
}
