// Reports waiting to be sent, one JSON file each in a directory beside the database. A report is
// written here before the first delivery attempt and removed only after the SMTP server accepted
// it, so a relay outage or a collector restart never loses one: it is retried with exponential
// backoff, and every failure is logged. Files are written to a temporary name and renamed, so a
// crash never leaves half a report.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import { backoffDelay as exponential } from '../../shared/retry.js';
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

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

export class Outbox {
  constructor(readonly dir: string) {}

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

/** Try every due entry once, oldest first. Sent entries are removed; failed ones rescheduled. */
export async function flushOutbox(
  outbox: Outbox,
  mailer: Mailer,
  log: Logger,
  options: { now?: () => number; backoff?: Backoff; force?: boolean } = {},
): Promise<FlushResult> {
  const now = options.now ?? Date.now;
  const result: FlushResult = { sent: 0, failed: 0, pending: 0 };
  for (const entry of await outbox.list()) {
    if (!options.force && Date.parse(entry.nextAttemptAt) > now()) {
      result.pending++;
      continue;
    }
    try {
      const sent = await mailer.send(entry.mail);
      await outbox.remove(entry);
      result.sent++;
      log.info(
        { report: entry.id, messageId: sent.messageId, accepted: sent.accepted.length, attempts: entry.attempts + 1 },
        'report sent',
      );
    } catch (err) {
      entry.attempts++;
      entry.lastError = (err as Error).message;
      entry.nextAttemptAt = new Date(now() + backoffDelay(entry.attempts, options.backoff)).toISOString();
      await outbox.update(entry);
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
    }
  }
  return result;
}
