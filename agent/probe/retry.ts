// The retry pass: filtered probes get more tries, spaced past a loss burst, up to a depth that
// deepens on an address where a retry paid off (that path loses packets). The depth is shared
// with the other threads probing the same address through its cursor.
import type { Clock } from './clock.js';
import type { HostState } from './host.js';
import type { Rotation } from './rotation.js';

/** Where retries pay off, this many tries more than `retries` are allowed (see RetryPass.deepen). */
export const DEEPEN_MAX = 2;

/** One address's filtered probes waiting for their next try, oldest first, and those out of tries. */
export class RetryQueue {
  private readonly pos: number[] = [];
  /** When each may start. */
  private readonly at: number[] = [];
  private head = 0;
  /** Filtered probes out of tries; they get more only if the depth grows. */
  readonly parked: number[] = [];

  /** Tries a filtered probe may have beyond its first. */
  constructor(public depth: number) {}

  pending(): boolean {
    return this.head < this.pos.length;
  }

  due(now: number): boolean {
    return this.head < this.pos.length && this.at[this.head]! <= now;
  }

  /** The oldest waiting probe (the caller checked pending()). */
  take(): number {
    const pos = this.pos[this.head++]!;
    if (this.head === this.pos.length) {
      this.pos.length = 0;
      this.at.length = 0;
      this.head = 0;
    }
    return pos;
  }

  push(pos: number, at: number): void {
    this.pos.push(pos);
    this.at.push(at);
  }
}

export class RetryPass {
  constructor(
    private readonly retries: number,
    private readonly clock: Clock,
    private readonly rotation: Rotation,
  ) {}

  /** Retries are spaced: loss comes in bursts, so the next try waits past the burst. */
  spacing(h: HostState): number {
    return Math.min(1000, Math.max(200, 2 * h.timeoutMs));
  }

  /** A filtered verdict at `now`: true when the probe gets another try, false when it is out of tries (parked). */
  offer(h: HostState, pos: number, now: number): boolean {
    if (h.attempts[pos]! <= h.retry.depth) {
      h.retry.push(pos, now + this.spacing(h));
      this.rotation.reactivate(h);
      return true;
    }
    h.retry.parked.push(pos);
    return false;
  }

  /**
   * A retry turned up an answer: this path loses packets, so every filtered verdict on it is
   * suspect. nmap then allows one try more than the deepest that paid off; at 1 % loss that
   * still leaves ~0.5 wrong verdicts per 64k probes (p³), so the address gets the full depth
   * (retries + DEEPEN_MAX) at once, and the probes already out of tries get theirs.
   * Returns how many parked probes that brought back (they are no longer settled).
   */
  deepen(h: HostState): number {
    const depth = this.retries === 0 ? 0 : this.retries + DEEPEN_MAX;
    Atomics.store(h.h.cursor, 1, Math.max(depth, Atomics.load(h.h.cursor, 1)));
    return this.deepenTo(h, depth);
  }

  /** Take over a depth another thread reached on this address; returns the parked probes brought back. */
  sync(h: HostState): number {
    const d = Atomics.load(h.h.cursor, 1);
    return d <= h.retry.depth ? 0 : this.deepenTo(h, d);
  }

  private deepenTo(h: HostState, depth: number): number {
    const q = h.retry;
    if (depth <= q.depth) return 0;
    q.depth = depth;
    const now = this.clock.now();
    const back = q.parked.length;
    for (const pos of q.parked) q.push(pos, now);
    q.parked.length = 0;
    this.rotation.reactivate(h);
    return back;
  }
}
