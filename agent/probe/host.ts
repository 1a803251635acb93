// One address as one shard sees it: the positions it claims from the shared cursor, the order
// in which its work is taken (requeued, due retries, fresh), and its pacing: a congestion
// window that counts only probes younger than OLD_MS (window.ts), halved when first tries go
// unanswered, and a connect-rate token bucket.
import { RetryQueue } from './retry.js';
import { RttEstimator } from './rtt.js';
import type { ShardHost, ShardSettings } from './shard-types.js';

/** Positions claimed at a time from a shared cursor. */
export const CHUNK = 64;
/** Drop ratio (EWMA over first tries) above which an address's cwnd halves per timeout (nmap: 30 %). */
export const DROP_RATIO = 0.3;
export const DROP_ALPHA = 1 / 16;

export class HostState {
  readonly n: number;
  /** The chunk of positions this shard claimed and has not started yet: [chunkPos, chunkEnd). */
  chunkPos = 0;
  chunkEnd = 0;
  inflight = 0;
  /** Of those, how many were older than OLD_MS at tick `epoch` (they wait; they do not load the host). */
  old = 0;
  epoch = -1;
  cwnd: number;
  private readonly cwndMin: number;
  private readonly cwndMax: number;
  tokens: number;
  refillAt: number;
  private readonly burst: number;
  private readonly ratePerMs: number;
  timeoutMs: number;
  readonly rtt: RttEstimator;
  /** Filtered probes waiting for their next try, and those out of tries (retry.ts). */
  readonly retry: RetryQueue;
  /** Probes to start again at once: local failures and self-connects (no try was spent). */
  readonly requeue: number[] = [];
  dropEwma = 0;
  readonly state: Uint8Array;
  readonly rttMs: Float32Array;
  readonly attempts: Uint8Array;
  readonly localFails: Uint8Array;
  localGaveUp = 0;
  lastLocal = '';
  configError: string | undefined;
  /** In the shard's rotation (rotation.ts). */
  isActive = true;

  constructor(
    readonly index: number,
    readonly h: ShardHost,
    s: ShardSettings,
    now: number,
  ) {
    this.n = h.ports.length;
    this.cwnd = s.cwndInit;
    this.cwndMin = s.cwndMin;
    this.cwndMax = s.cwndMax;
    this.burst = Math.max(1, s.perHostRate / 50);
    this.ratePerMs = s.perHostRate / 1000;
    this.tokens = this.burst;
    this.refillAt = now;
    this.timeoutMs = s.timeoutCapMs;
    this.rtt = new RttEstimator(s.timeoutFloorMs, s.timeoutCapMs);
    this.retry = new RetryQueue(s.retries);
    this.state = h.state;
    this.rttMs = h.rtt;
    this.attempts = h.attempts;
    this.localFails = new Uint8Array(this.n);
  }

  /** Positions nobody has started yet (in this shard's chunk, or still unclaimed). */
  hasFresh(): boolean {
    return this.chunkPos < this.chunkEnd || Atomics.load(this.h.cursor, 0) < this.n;
  }

  /** The next fresh position, claiming a chunk when this shard's is used up; -1 when none is left. */
  takeFresh(): number {
    if (this.chunkPos >= this.chunkEnd) {
      const start = Atomics.add(this.h.cursor, 0, CHUNK);
      if (start >= this.n) return -1;
      this.chunkPos = start;
      this.chunkEnd = Math.min(this.n, start + CHUNK);
    }
    return this.chunkPos++;
  }

  hasWork(): boolean {
    return this.configError === undefined && (this.requeue.length > 0 || this.retry.pending() || this.hasFresh());
  }

  /**
   * Whether a probe may start now: the congestion window has room (probes older than OLD_MS at
   * tick `epoch` do not count), the rate bucket has a token, and there is work due.
   */
  canStart(now: number, epoch: number): boolean {
    const old = this.epoch === epoch ? Math.min(this.old, this.inflight) : 0;
    if (this.inflight - old >= this.cwnd || this.configError !== undefined) return false;
    if (this.tokens < 1) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.refillAt) * this.ratePerMs);
      this.refillAt = now;
      if (this.tokens < 1) return false;
    }
    return this.requeue.length > 0 || this.retry.due(now) || this.hasFresh();
  }

  /** The next position to probe, or -1. Order: requeued, due retries, fresh. */
  takeWork(now: number): number {
    if (this.requeue.length > 0) return this.requeue.pop()!;
    if (this.retry.due(now)) return this.retry.take();
    return this.takeFresh();
  }

  /** A probe started: it holds a cwnd place and spends a token and a try. */
  started(pos: number): void {
    this.inflight++;
    this.tokens--;
    this.attempts[pos]!++;
  }

  /** An answer: the path carries probes; a first try's answer lowers the drop ratio. */
  answered(wasRetry: boolean): void {
    if (this.cwnd < this.cwndMax) this.cwnd++;
    if (!wasRetry) this.dropEwma -= this.dropEwma * DROP_ALPHA;
  }

  /** A first try went unanswered: above DROP_RATIO the path is congested, so cwnd halves. */
  firstTryLost(): void {
    this.dropEwma += (1 - this.dropEwma) * DROP_ALPHA;
    if (this.dropEwma > DROP_RATIO) this.cwnd = Math.max(this.cwndMin, Math.floor(this.cwnd / 2));
  }
}
