// Reports waiting to be sent. A report is queued before the first delivery attempt and leaves
// the outbox only after the SMTP server accepted it, so a relay outage or a collector restart
// never loses one: it is retried with exponential backoff, and every failure is logged.
// Two outboxes answer `ReportOutbox`: the file outbox here (one JSON file per report in a
// directory beside the SQLite database, written to a temporary name and renamed, so a crash never
// leaves half a report) and the table of a PostgreSQL store shared by several collector replicas
// (collector/store/postgres/outbox.ts), where an entry is claimed before it is sent.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import { backoffDelay as exponential } from '../../shared/retry.js';
import { DEFAULT_CLAIM_RENEW_MS, whileRenewing } from '../claim-renewal.js';
import type { Mailer, OutgoingMail } from './mail.js';

export interface OutboxEntry {
  id: string;
  createdAt: string;
  attempts: number;
  /** ISO time before which no new attempt is made. */
  nextAttemptAt: string;
  lastError: string | null;
  mail: OutgoingMail;
}

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 60_000, maxMs: 3_600_000 };

/** Delay after the n-th failed attempt (n ≥ 1): base · 2^(n-1), capped. */
export function backoffDelay(attempts: number, b: Backoff = DEFAULT_BACKOFF): number {
  return exponential(attempts - 1, { ...b, jitter: 'none' });
}

/**
 * What the report service needs of an outbox. An entry handed out by `claimDue` is this process's
 * until `sent` or `failed` (a shared outbox lets no other process claim it meanwhile; a claim of a
 * process that died expires, and the entry is claimed again).
 */
export interface ReportOutbox {
  /** When the last report was made: the start of the next report's period (null: never). */
  readState(): Promise<{ lastReportAt: string | null }>;
  /**
   * Queue the report of the period that began at `since` and record that it was made at `at`, so
   * the next report covers what follows. Null: the period was already made (by another replica
   * since `since` was read); nothing is queued.
   */
  queue(mail: OutgoingMail, period: { since: string | null; at: string }): Promise<OutboxEntry | null>;
  /** The entries to try now, oldest first (every pending one with `force`), and how many wait. */
  claimDue(nowMs: number, force: boolean): Promise<{ due: OutboxEntry[]; waiting: number }>;
  /** Keep the claim of an entry whose delivery is still under way. */
  renew?(entry: OutboxEntry): Promise<void>;
  /** The server accepted it. False: the claim had been lost, so another process may send it too. */
  sent(entry: OutboxEntry): Promise<boolean>;
  /** Not accepted: `entry` carries the new attempts, lastError and nextAttemptAt (`delayMs` from now). */
  failed(entry: OutboxEntry, delayMs: number): Promise<void>;
  /** The entry if it still waits (not sent yet). */
  pending(id: string): Promise<OutboxEntry | null>;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

export class Outbox implements ReportOutbox {
  constructor(readonly dir: string) {}

  // --- ReportOutbox: one process owns the directory (the store's lock), so a claim is a read.

  async queue(mail: OutgoingMail, period: { since: string | null; at: string }): Promise<OutboxEntry> {
    const entry = await this.put(mail, new Date(period.at));
    await this.writeState({ lastReportAt: period.at });
    return entry;
  }

  async claimDue(nowMs: number, force: boolean): Promise<{ due: OutboxEntry[]; waiting: number }> {
    const all = await this.list();
    const due = all.filter((e) => force || Date.parse(e.nextAttemptAt) <= nowMs);
    return { due, waiting: all.length - due.length };
  }

  async sent(entry: OutboxEntry): Promise<boolean> {
    await this.remove(entry);
    return true;
  }

  async failed(entry: OutboxEntry): Promise<void> {
    await this.update(entry);
  }

  async pending(id: string): Promise<OutboxEntry | null> {
    return (await this.list()).find((e) => e.id === id) ?? null;
  }

  private path(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /**
   * Queue a report. A pending report with the same Message-ID (the same period, made again after
   * a crash between queueing and recording the period) is replaced by the newer rendering in its
   * place, keeping its attempts and schedule: one period, one email.
   */
  async put(mail: OutgoingMail, now = new Date()): Promise<OutboxEntry> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const messageId = mail.headers['Message-ID'];
    const same = messageId ? (await this.list()).find((e) => e.mail.headers['Message-ID'] === messageId) : undefined;
    if (same) {
      const entry = { ...same, mail };
      await this.update(entry);
      return entry;
    }
    // Time-ordered ids: the directory lists oldest first, and reports go out in order.
    const entry: OutboxEntry = {
      id: `${now.toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`,
      createdAt: now.toISOString(),
      attempts: 0,
      nextAttemptAt: now.toISOString(),
      lastError: null,
      mail,
    };
    await writeAtomic(this.path(entry.id), JSON.stringify(entry));
    return entry;
  }

  async list(): Promise<OutboxEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: OutboxEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && n !== 'state.json').sort()) {
      try {
        out.push(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as OutboxEntry);
      } catch {
        // An unreadable entry is left in place for a person to look at, never deleted.
      }
    }
    return out;
  }

  async update(entry: OutboxEntry): Promise<void> {
    await writeAtomic(this.path(entry.id), JSON.stringify(entry));
  }

  async remove(entry: OutboxEntry): Promise<void> {
    await rm(this.path(entry.id), { force: true });
  }

  /** The report-schedule state kept beside the pending reports: when the last report was made. */
  async readState(): Promise<{ lastReportAt: string | null }> {
    try {
      const s = JSON.parse(await readFile(join(this.dir, 'state.json'), 'utf8')) as { lastReportAt?: unknown };
      return { lastReportAt: typeof s.lastReportAt === 'string' ? s.lastReportAt : null };
    } catch {
      return { lastReportAt: null };
    }
  }

  async writeState(state: { lastReportAt: string }): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeAtomic(join(this.dir, 'state.json'), JSON.stringify(state));
  }
}

export interface FlushResult {
  sent: number;
  failed: number;
  pending: number;
  /** Why the last failed delivery of this flush failed (the SMTP server's or the socket's words). */
  lastError?: string;
}

/**
 * Try every due entry once, oldest first. Sent entries leave the outbox (marked the moment the
 * server answered 250: a process killed after that answer and before the mark sends the report
 * again, with the same Message-ID); failed ones are rescheduled.
 */
export async function flushOutbox(
  outbox: ReportOutbox,
  mailer: Mailer,
  log: Logger,
  options: { now?: () => number; backoff?: Backoff; force?: boolean; renewEveryMs?: number } = {},
): Promise<FlushResult> {
  const now = options.now ?? Date.now;
  const { due, waiting } = await outbox.claimDue(now(), options.force === true);
  const result: FlushResult = { sent: 0, failed: 0, pending: waiting };
  for (const entry of due) {
    let sent: Awaited<ReturnType<Mailer['send']>> | undefined;
    try {
      // A slow relay must not let the claim lapse while the send is under way.
      sent = await whileRenewing(
        outbox.renew && (() => outbox.renew!(entry)),
        options.renewEveryMs ?? DEFAULT_CLAIM_RENEW_MS,
        () => mailer.send(entry.mail),
      );
    } catch (err) {
      entry.attempts++;
      entry.lastError = (err as Error).message;
      const delay = backoffDelay(entry.attempts, options.backoff);
      entry.nextAttemptAt = new Date(now() + delay).toISOString();
      await outbox.failed(entry, delay);
      result.failed++;
      result.pending++;
      result.lastError = entry.lastError;
      log.warn(
        {
          report: entry.id,
          attempts: entry.attempts,
          nextAttemptAt: entry.nextAttemptAt,
          err: entry.lastError,
          code: (err as { code?: string }).code,
        },
        'report not sent; kept in the outbox and retried',
      );
      continue;
    }
    const kept = await outbox.sent(entry);
    result.sent++;
    log.info(
      { report: entry.id, messageId: sent.messageId, accepted: sent.accepted.length, attempts: entry.attempts + 1 },
      'report sent',
    );
    if (!kept)
      log.warn(
        { report: entry.id, messageId: sent.messageId },
        'report sent after its claim had lapsed: another replica may send it too (same Message-ID)',
      );
  }
  return result;
}
