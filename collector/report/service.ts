// The report loop of a running collector: at each due time, gather the data (from the store,
// through the `load` callback the collector provides), render, persist to the outbox, then try
// to send; retry what is pending until the relay accepts it. `sendNow` serves
// `POST /v1/report/send` and `portdrift report --send`. Several replicas on one database
// (`isLeader` given): every replica polls, only the leader makes and sends the scheduled reports,
// reading the period from the shared outbox at each poll, so a new leader carries on where the
// last one stopped (and sends what it left claimed once the claim lapses).
import type { Logger } from '../../shared/log.js';
import { type Clock, systemClock, type Timer } from '../clock.js';
import type { Mailer, OutgoingMail } from './mail.js';
import { buildReportModel, type ReportData } from './model.js';
import { type Backoff, DEFAULT_BACKOFF, type FlushResult, flushOutbox, type ReportOutbox } from './outbox.js';
import { renderReport, type RenderedReport } from './render.js';
import { describeSchedule, nextDue, type Schedule } from './schedule.js';

export interface ReportServiceOptions {
  schedule: Schedule;
  from: string;
  to: string[];
  outbox: ReportOutbox;
  mailer: Mailer;
  /** Several replicas: whether this one leads now (only the leader makes and sends scheduled reports). */
  isLeader?: () => boolean;
  /** With `isLeader`: how often the leader looks for a due report or pending entries (default 5 s). */
  pollMs?: number;
  /** How often the claim of an entry is renewed while its send lasts (outbox with `renew`; default 5 s). */
  renewEveryMs?: number;
  /** Gathers what the report covers: findings open or resolved since `since`, coverage, agents, history. */
  load(
    since: string | null,
    now: string,
  ): Promise<Omit<ReportData, 'since' | 'now'>> | Omit<ReportData, 'since' | 'now'>;
  log: Logger;
  /** How often pending reports are retried while any wait (default 60 s); their own backoff still applies. */
  retryEveryMs?: number;
  backoff?: Backoff;
  /** Time and the timers of the schedule and the retries (default: the system's). */
  clock?: Clock;
  /** Reads the time instead of `clock` (the timers stay the clock's). */
  now?: () => number;
}

/** The domain of the sender's address (`portdrift <pd@example.com>` → `example.com`), for the Message-ID. */
export function senderDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return m?.[1]?.toLowerCase() ?? 'portdrift.invalid';
}

export function composeMail(r: RenderedReport, from: string, to: string[]): OutgoingMail {
  const headers = { ...r.headers, 'Message-ID': `<${r.periodId}@${senderDomain(from)}>` };
  return { from, to, subject: r.subject, text: r.text, html: r.html, headers, attachments: [r.attachment] };
}

// setTimeout holds at most 2^31-1 ms (~24.8 days); longer waits are re-armed.
const MAX_TIMER = 2_147_483_647;

/** The outcome of `sendNow`: this report's own, and the whole outbox flush's counts. */
export interface SentReport {
  id: string;
  subject: string;
  /** This report was accepted by the SMTP server now (else it waits in the outbox). */
  sent: boolean;
  /** Why it was not, in the SMTP server's or the socket's words. */
  error?: string;
  delivery: FlushResult;
}

export class ReportService {
  private timer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private running = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly clock: Clock;
  /** With `isLeader` and no report made yet: when this process first led (the first period's start). */
  private firstLedAt: number | null = null;

  constructor(private readonly o: ReportServiceOptions) {
    this.clock = o.clock ?? systemClock;
    this.now = o.now ?? this.clock.now;
  }

  async start(): Promise<void> {
    this.running = true;
    const { lastReportAt } = await this.o.outbox.readState();
    this.o.log.info(
      { schedule: describeSchedule(this.o.schedule), to: this.o.to.length, lastReportAt },
      'report schedule started',
    );
    if (this.o.isLeader) {
      this.timer = this.clock.every(this.o.pollMs ?? 5000, () => this.poll());
      // Not awaited: a slow relay must not hold the collector's start.
      void this.poll();
      return;
    }
    await this.flush(); // reports left pending by a previous run go first
    await this.arm();
  }

  /** Several replicas: the leader makes the report when its period is due and sends what waits. */
  private poll(): Promise<unknown> | undefined {
    if (!this.running || !this.o.isLeader!()) {
      this.firstLedAt = null;
      return undefined;
    }
    const run = this.chain.then(async () => {
      const { lastReportAt } = await this.o.outbox.readState();
      const nowMs = this.now();
      this.firstLedAt ??= nowMs;
      const last = lastReportAt === null ? null : Date.parse(lastReportAt);
      const due =
        last === null ? nextDue(this.o.schedule, null, this.firstLedAt) : nextDue(this.o.schedule, last, nowMs);
      if (due <= nowMs && this.o.isLeader!()) await this.produce({ scheduled: true });
      else if (this.o.isLeader!()) await this.flush();
    });
    this.chain = run.catch((err) => this.o.log.error({ err: (err as Error).message }, 'report poll failed'));
    return this.chain;
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.retryTimer?.cancel();
    this.o.mailer.close();
  }

  /** Make a report for the period since the last one, persist it, and try to send it. Serialised. */
  sendNow(): Promise<SentReport> {
    const run = this.chain.then(() => this.produce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Render the report for the period since the last one, without sending or recording it. */
  async preview(): Promise<RenderedReport> {
    const { lastReportAt } = await this.o.outbox.readState();
    const now = new Date(this.now()).toISOString();
    return renderReport(buildReportModel({ ...(await this.o.load(lastReportAt, now)), since: lastReportAt, now }));
  }

  private async produce(o: { scheduled?: boolean } = {}): Promise<SentReport> {
    const { lastReportAt } = await this.o.outbox.readState();
    const nowMs = this.now();
    const now = new Date(nowMs).toISOString();
    const rendered = renderReport(
      buildReportModel({ ...(await this.o.load(lastReportAt, now)), since: lastReportAt, now }),
    );
    // Persist before the first attempt, then advance the period: from here the report can only
    // be delivered late, never lost, and the next report covers what happens after it.
    const mail = composeMail(rendered, this.o.from, this.o.to);
    const entry = await this.o.outbox.queue(mail, { since: lastReportAt, at: now });
    if (!entry) {
      // Another replica made this period's report since the state was read: it sends it.
      this.o.log.info({ subject: rendered.subject }, 'report of this period already made by another replica');
      const error = 'another collector replica made the report of this period';
      return { id: '', subject: rendered.subject, sent: false, error, delivery: { sent: 0, failed: 0, pending: 0 } };
    }
    this.o.log.info({ report: entry.id, subject: rendered.subject, scheduled: o.scheduled === true }, 'report made');
    const delivery = await this.flush();
    // The flush covers the whole outbox (older reports that were due go out too): whether *this*
    // report went is whether it left the outbox.
    const left = await this.o.outbox.pending(entry.id);
    return {
      id: entry.id,
      subject: rendered.subject,
      sent: !left,
      ...(left?.lastError ? { error: left.lastError } : {}),
      delivery,
    };
  }

  private async flush(): Promise<FlushResult> {
    const result = await flushOutbox(this.o.outbox, this.o.mailer, this.o.log, {
      now: this.now,
      backoff: this.o.backoff ?? DEFAULT_BACKOFF,
      ...(this.o.renewEveryMs ? { renewEveryMs: this.o.renewEveryMs } : {}),
    });
    this.retryTimer?.cancel();
    // With `isLeader` the poll retries; a single collector arms a retry while reports wait.
    if (this.running && result.pending > 0 && !this.o.isLeader) {
      this.retryTimer = this.clock.after(this.o.retryEveryMs ?? 60_000, () =>
        this.flush().catch((err) => this.o.log.error({ err }, 'report outbox flush failed')),
      );
    }
    return result;
  }

  /** Set the timer of the next report (resolves once it is set). */
  private async arm(): Promise<void> {
    if (!this.running) return;
    this.timer?.cancel();
    const { lastReportAt } = await this.o.outbox.readState();
    if (!this.running) return;
    const due = nextDue(this.o.schedule, lastReportAt === null ? null : Date.parse(lastReportAt), this.now());
    const wait = Math.max(0, due - this.now());
    this.timer = this.clock.after(Math.min(wait, MAX_TIMER), () => {
      if (wait > MAX_TIMER) return this.arm();
      return this.sendNow()
        .catch((err) => this.o.log.error({ err: (err as Error).message }, 'report could not be made'))
        .finally(() => this.arm());
    });
  }
}
