// Delivery of the spool, oldest first, and the wait between cycles that keeps delivering the
// backlog whenever the collector answers (backing off while it does not). Part of the agent loop
// (loop.ts), which owns the counters and the stop signal.
import type { Logger } from '../../shared/log.js';
import { backoffDelay, sleep } from './backoff.js';
import { withSpoolStatus } from './batch.js';
import type { LoopClock } from './clock.js';
import { withDeadline } from './deadline.js';
import type { Spool } from './spool.js';
import type { SendResult } from './transport.js';

/** A delivery still unanswered after this long when the cycle ends counts as an outage. */
const SLOW_SEND_MS = 2000;

export interface DeliveryOptions {
  name: string;
  spool: Spool;
  sendBatch(batchId: string, body: string, signal?: AbortSignal): Promise<SendResult>;
  logger: Logger;
  clock: LoopClock;
  random: () => number;
  /** Aborts when the agent stops. */
  stopSignal: AbortSignal;
  /** The loop's counters this adds to. */
  stats: { delivered: number; rejected: number; dropped: number };
}

export interface Delivery {
  /** Deliver the spool oldest first; true when it is empty, false when the collector is not taking batches. */
  drain(signal: AbortSignal): Promise<boolean>;
  /** Until `deadline`: deliver the backlog whenever possible, backing off while the collector is down. */
  deliverUntil(deadline: number): Promise<void>;
}

export function makeDelivery(o: DeliveryOptions): Delivery {
  const { spool, logger: log, clock, stats, stopSignal } = o;
  let collectorDown = false;

  async function drain(signal: AbortSignal): Promise<boolean> {
    for (const entry of spool.entries()) {
      if (signal.aborted) return false;
      let send: ReturnType<typeof withSpoolStatus>;
      try {
        send = withSpoolStatus(spool.read(entry), spool.dropped(), spool.entries().length - 1, o.name);
      } catch (err) {
        log.error({ batchId: entry.batchId, err: (err as Error).message }, 'spooled batch is unreadable; dropped');
        spool.discard(entry);
        stats.dropped++;
        continue;
      }
      let result: SendResult;
      const sentAt = clock.now();
      try {
        result = await o.sendBatch(entry.batchId, send.body, signal);
      } catch (err) {
        // Stopping (the final flush included) is not news about the collector. A send still
        // retrying when the cycle's deadline passed is: with intervals shorter than the
        // transport's retry budget, that is the only way an outage shows here.
        // A send cut short within its first seconds says nothing either (the deadline was near).
        if (stopSignal.aborted || (signal.aborted && clock.now() - sentAt < SLOW_SEND_MS)) return false;
        const reason = signal.aborted ? 'no delivery before the next cycle' : (err as Error).message;
        if (!collectorDown)
          log.warn(
            { err: reason, spoolDepth: spool.entries().length },
            'collector not taking batches; keeping them in the spool',
          );
        collectorDown = true;
        return false;
      }
      if (collectorDown) log.info({ spoolDepth: spool.entries().length }, 'collector is back; delivering the spool');
      collectorDown = false;
      if (result.kind === 'accepted') {
        spool.remove(entry);
        spool.reportedDrops(send.header.spoolDropped);
        stats.delivered++;
      } else {
        // A batch the collector will never take (invalid, too large, a record outside the token's
        // scope): keeping it would block every later one. It is counted as a drop so the
        // collector hears about it.
        log.error(
          { batchId: entry.batchId, status: result.status, code: result.code, message: result.message },
          'collector rejected a batch; dropped',
        );
        spool.discard(entry);
        stats.rejected++;
      }
    }
    return true;
  }

  async function deliverUntil(deadline: number): Promise<void> {
    let failures = 0;
    while (!stopSignal.aborted) {
      const left = deadline - clock.now();
      if (left <= 0) return;
      if (spool.entries().length === 0) {
        await sleep(left, stopSignal, clock);
        return;
      }
      if (await withDeadline(stopSignal, left, drain, clock)) {
        failures = 0;
        continue;
      }
      const delay = backoffDelay(failures++, { baseMs: 1000, maxMs: 60_000 }, o.random);
      await sleep(Math.min(deadline - clock.now(), delay), stopSignal, clock);
    }
  }

  return { drain, deliverUntil };
}
