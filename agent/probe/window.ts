// The shard's budget of connects in flight and of new connects per second over all its
// addresses: how large the window is now, how it shrinks on local errors (and pauses one tick)
// and grows back with answers, and the run-wide token bucket of `--rate`.
import { TICK_MS } from './clock.js';

/**
 * Probes answered within a few ms need only a small window to keep the CPU busy, and a large
 * one makes each loop iteration slower (more sockets to create, poll and close per turn, worse
 * locality): one thread on loopback, 65535 ports: 64 in flight 1.04 s, 256 1.14 s, 4096 1.49 s;
 * over many addresses 256 beats 64 by ~25 % (64 × 1000 ports). Probes still unanswered after
 * OLD_MS are likely filtered and only wait, so each of them adds a slot on top of the base:
 * the window grows to the budget exactly when probes are slow. The same holds per address:
 * its congestion window counts only probes younger than OLD_MS, so a filtered range (or a
 * retry pass, which is all filtered probes) is paced by cwnd per OLD_MS instead of stalling.
 */
export const BASE_WINDOW = 256;
export const OLD_MS = 20;
/** Local failures in a row with nothing in flight: the prober cannot work here at all. */
export const LOCAL_STALL_LIMIT = 200;
/** Answers it takes to grow a shrunk window by one slot. */
const GROW_EVERY = 8;

export class Window {
  /** The budget: most connects in flight ever (the slot count). */
  readonly max: number;
  /** The window now: the budget, or less after local errors. */
  size: number;
  private growth = 0;
  private readonly base: number;
  /** Probes in flight older than OLD_MS at the last tick: each adds a slot on top of the base. */
  old = 0;
  /** No new connects before this time (a pause after a local error). */
  stallUntil = 0;
  /** Local failures in a row with nothing in flight. */
  private localStall = 0;
  private readonly ratePerMs: number;
  private readonly burst: number;
  private tokens = 1;
  private refillAt: number;

  constructor(window: number, rate: number | undefined, now: number) {
    this.max = Math.max(1, window);
    this.size = this.max;
    this.base = Math.min(this.max, BASE_WINDOW);
    // The run-wide bucket of --rate: starts with one token, so the first 20 ms do not burst.
    this.ratePerMs = rate !== undefined && rate > 0 ? rate / 1000 : 0;
    this.burst = Math.max(1, (rate ?? 0) / 50);
    this.refillAt = now;
  }

  /** Room for another connect with `inflight` in flight. */
  hasRoom(inflight: number): boolean {
    return inflight < Math.min(this.size, this.base + this.old);
  }

  stalled(now: number): boolean {
    return now < this.stallUntil;
  }

  /** A token of the run-wide rate is there (refilled up to `now`); always true without --rate. */
  hasToken(now: number): boolean {
    if (this.ratePerMs > 0 && this.tokens < 1) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.refillAt) * this.ratePerMs);
      this.refillAt = now;
      return this.tokens >= 1;
    }
    return true;
  }

  /** A connect started. */
  spend(): void {
    this.tokens--;
  }

  /** An answer (open or closed): the prober works; a shrunk window grows back slowly. */
  answered(): void {
    this.localStall = 0;
    if (this.size < this.max && ++this.growth >= GROW_EVERY) {
      this.growth = 0;
      this.size++;
    }
  }

  /** Any verdict that is not a local error ends a run of local failures. */
  progressed(): void {
    this.localStall = 0;
  }

  /**
   * A local error (fds or ports ran out) with `inflight` probes in flight: shrink to what was
   * really sustainable and pause one tick for fds / ports to free up. True when local errors
   * with nothing in flight have gone on so long that the prober cannot work here at all.
   */
  localError(inflight: number, now: number): boolean {
    this.size = Math.max(1, Math.min(this.size, Math.floor(inflight * 0.75)));
    this.stallUntil = now + TICK_MS;
    return inflight === 0 && ++this.localStall > LOCAL_STALL_LIMIT;
  }
}
