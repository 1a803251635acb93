// The report schedule and the outbox's retries (collector/report/service.ts) on a hand-moved
// clock: reports are made when due and not before, each goes over real SMTP on loopback
// (smtp-server), and one the relay refuses waits in the outbox (a real directory) and goes out
// on a later retry tick once its backoff has passed. Each case runs in milliseconds.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../../../collector/report/mail.js';
import { Outbox } from '../../../../collector/report/outbox.js';
import { parseSchedule } from '../../../../collector/report/schedule.js';
import { ReportService } from '../../../../collector/report/service.js';
import { silentLogger } from '../../../../shared/log.js';
import { reportData } from '../../../fixtures/report-data.js';
import { ManualClock } from '../manual-clock.js';

const HOUR = 3_600_000;
const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A loopback relay that answers 451 (try later) while `down`, and counts what it accepted. */
async function relay() {
  const state = { down: false, accepted: 0, refused: 0 };
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, cb) {
      stream.resume();
      stream.on('end', () => {
        if (state.down) {
          state.refused++;
          return cb(Object.assign(new Error('try again later'), { responseCode: 451 }));
        }
        state.accepted++;
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  return { state, port };
}

async function service(schedule: string, port: number) {
  const clock = new ManualClock();
  const dir = mkdtempSync(join(tmpdir(), 'pd-report-svc-'));
  dirs.push(dir);
  const outbox = new Outbox(join(dir, 'outbox'));
  const s = new ReportService({
    schedule: parseSchedule(schedule),
    from: 'portdrift <portdrift@example.com>',
    to: ['ops@example.com'],
    outbox,
    mailer: createMailer({ url: `smtp://127.0.0.1:${port}?starttls=off` }),
    load: () => {
      const { since: _s, now: _n, ...rest } = reportData();
      return rest;
    },
    log: silentLogger(),
    retryEveryMs: 60_000,
    backoff: { baseMs: 5 * 60_000, maxMs: HOUR },
    clock,
  });
  closers.push(async () => s.stop());
  await s.start();
  return { s, clock, outbox };
}

describe('report schedule and outbox on an injected clock', () => {
  it('`every 1h`: nothing at the start, one report when the hour is up, then the next hour is armed', async () => {
    const r = await relay();
    const { clock, outbox } = await service('every 1h', r.port);
    expect(clock.pending()).toEqual([HOUR]);
    await clock.advance(HOUR - 1);
    expect(r.state.accepted).toBe(0);
    await clock.advance(1);
    expect(r.state.accepted).toBe(1);
    expect(await outbox.list()).toEqual([]);
    expect((await outbox.readState()).lastReportAt).toBe(clock.iso());
    expect(clock.pending()).toEqual([HOUR]);
    await clock.advance(3 * HOUR);
    expect(r.state.accepted).toBe(4);
  });

  it('`daily 08:00` (UTC): started at 09:00, the first report goes out at 08:00 the next day', async () => {
    const r = await relay();
    const { clock } = await service('daily 08:00', r.port);
    expect(new Date(clock.now()).toISOString()).toBe('2026-03-02T09:00:00.000Z');
    await clock.advance(23 * HOUR - 1);
    expect(r.state.accepted).toBe(0);
    await clock.advance(1);
    expect(r.state.accepted).toBe(1);
    expect(clock.pending()).toEqual([24 * HOUR]);
  });

  it('a refused report waits in the outbox and goes out on a retry tick once its backoff has passed', async () => {
    const r = await relay();
    r.state.down = true;
    const { clock, outbox } = await service('every 1h', r.port);
    await clock.advance(HOUR);
    expect(r.state.refused).toBe(1);
    const [waiting] = await outbox.list();
    expect(waiting).toMatchObject({ attempts: 1, nextAttemptAt: new Date(clock.now() + 5 * 60_000).toISOString() });
    expect(waiting!.lastError).toMatch(/451/);
    // Retry ticks every minute; the backoff (5 min) holds the next attempt back until it passes.
    r.state.down = false;
    await clock.advance(4 * 60_000);
    expect(r.state.accepted).toBe(0);
    await clock.advance(60_000);
    expect(r.state.accepted).toBe(1);
    expect(await outbox.list()).toEqual([]);
    // Nothing pending: no retry timer left, only the schedule's.
    expect(clock.pending()).toEqual([HOUR - 5 * 60_000]);
  });
});
