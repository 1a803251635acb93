// One event loop's share of a probe run: a window of connects in flight over many addresses,
// refilled as each ends (Little's law: throughput = window ÷ probe time). Per address: an
// adaptive timeout from measured RTT, a congestion window, a connect-rate bucket, a retry
// queue for filtered probes (a later pass, spaced), and results in typed arrays indexed by the
// address's probe order. No timer per probe: one coarse tick walks the slots in flight, and
// its verdicts are given in setImmediate, after the poll phase has delivered every completed
// connect, so a busy loop cannot turn an answered probe into a timeout (docs/design/probe-engine.md#verdicts).
// Runs in the main thread or in a worker (worker.ts); everything crossing that line is plain
// data and typed arrays.
import { PortdriftError } from '../../shared/errors.js';
import { classify, errnoName, Outcome } from './classify.js';
import type { Connector, ConnectorFactory } from './connector.js';
import { RttEstimator } from './rtt.js';

/**
 * One address to probe. `ports` is the probe order: declared ports first, then discovery.
 * Several shards (threads) may probe the same address: they claim positions of `ports` in
 * chunks through the shared `cursor` (Atomics), so a thread that gets less CPU simply claims
 * fewer, and each writes the results of the positions it claimed into the shared arrays.
 */
export interface ShardHost {
  ip: string;
  family: 4 | 6;
  ports: Uint16Array;
  /**
   * cursor[0]: the next unclaimed position. cursor[1]: the retry depth any thread has reached
   * on this address (a retry that paid off anywhere deepens them all).
   */
  cursor: Int32Array;
  state: Uint8Array;
  /** Round trip in ms of the deciding answer; NaN when none (filtered, unreachable). */
  rtt: Float32Array;
  attempts: Uint8Array;
}

/** Positions claimed at a time from a shared cursor. */
const CHUNK = 64;

export interface ShardSettings {
  /** Most connects in flight in this loop. */
  window: number;
  /** Timeout cap and the timeout before any RTT sample. */
  timeoutCapMs: number;
  timeoutFloorMs: number;
  /** Extra tries for filtered probes; deepened by up to 2 on an address where retries pay off. */
  retries: number;
  /** New connects per second per address. */
  perHostRate: number;
  /** New connects per second over all addresses of this loop (`--rate`); unset: no such cap. */
  rate?: number;
  /** Per-address congestion window: start and bounds. */
  cwndInit: number;
  cwndMin: number;
  cwndMax: number;
}

/** State codes in ShardHostResult.state. */
export const enum Code {
  Unprobed = 0,
  Open = 1,
  Closed = 2,
  Filtered = 3,
  Unreachable = 4,
}

export interface ShardHostResult {
  state: Uint8Array;
  rtt: Float32Array;
  attempts: Uint8Array;
  /** Why (part of) this address could not be probed. */
  error?: string;
}

export interface ShardStats {
  started: number;
  localErrors: number;
  selfConnects: number;
  smallestWindow: number;
  aborted: boolean;
}

export interface ShardHooks {
  signal?: AbortSignal;
  /** Probes settled so far (final verdicts), called at most once per tick. */
  onProgress?: (settled: number) => void;
}

/** The tick of the timeout walk and of the retry / rate clocks. */
const TICK_MS = 10;
/** Starts per pump call, so one burst cannot stall the loop (docs/design/probe-engine.md#pacing). */
const STARTS_PER_PUMP = 512;
/** After this many local failures of one probe with nothing else in flight it is given up (and the address says so). */
const LOCAL_TRIES = 50;
/** Local failures in a row with nothing in flight: the prober cannot work here at all. */
const LOCAL_STALL_LIMIT = 200;
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
const BASE_WINDOW = 256;
const OLD_MS = 20;
/** Drop ratio (EWMA over first tries) above which an address's cwnd halves per timeout (nmap: 30 %). */
const DROP_RATIO = 0.3;
const DROP_ALPHA = 1 / 16;
/** Where retries pay off, this many tries more than `retries` are allowed (see deepen()). */
const DEEPEN_MAX = 2;

class HostState {
  readonly n: number;
  /** The chunk of positions this shard claimed and has not started yet: [chunkPos, chunkEnd). */
  chunkPos = 0;
  chunkEnd = 0;
  inflight = 0;
  /** Of those, how many were older than OLD_MS at tick `epoch` (they wait; they do not load the host). */
  old = 0;
  epoch = -1;
  cwnd: number;
  tokens: number;
  refillAt: number;
  timeoutMs: number;
  readonly rtt: RttEstimator;
  /** Filtered probes waiting for their next try, oldest first, with the time they may start. */
  retryPos: number[] = [];
  retryAt: number[] = [];
  retryHead = 0;
  /** Probes to start again at once: local failures and self-connects (no try was spent). */
  requeue: number[] = [];
  /** Filtered probes out of tries; they get more only if this address's depth grows. */
  parked: number[] = [];
  depth: number;
  dropEwma = 0;
  readonly state: Uint8Array;
  readonly rttMs: Float32Array;
  readonly attempts: Uint8Array;
  readonly localFails: Uint8Array;
  localGaveUp = 0;
  lastLocal = '';
  configError: string | undefined;
  isActive = true;

  constructor(
    readonly index: number,
    readonly h: ShardHost,
    s: ShardSettings,
    now: number,
  ) {
    this.n = h.ports.length;
    this.cwnd = s.cwndInit;
    this.tokens = Math.max(1, s.perHostRate / 50);
    this.refillAt = now;
    this.timeoutMs = s.timeoutCapMs;
    this.rtt = new RttEstimator(s.timeoutFloorMs, s.timeoutCapMs);
    this.depth = s.retries;
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
    return this.configError === undefined && (this.requeue.length > 0 || this.retryHead < this.retryPos.length || this.hasFresh());
  }
}

export function runShard(hosts: readonly ShardHost[], s: ShardSettings, factory: ConnectorFactory, hooks: ShardHooks = {}): Promise<{ results: ShardHostResult[]; stats: ShardStats }> {
  return new Promise((resolve, reject) => {
    const now0 = performance.now();
    const H = hosts.map((h, i) => new HostState(i, h, s, now0));
    const group = new RttEstimator(s.timeoutFloorMs, s.timeoutCapMs);
    const burst = Math.max(1, s.perHostRate / 50);
    const ratePerMs = s.perHostRate / 1000;
    // The run-wide bucket of --rate: starts with one token, so the first 20 ms do not burst.
    const runRatePerMs = s.rate !== undefined && s.rate > 0 ? s.rate / 1000 : 0;
    const runBurst = Math.max(1, (s.rate ?? 0) / 50);
    let runTokens = 1;
    let runRefillAt = now0;
    const W = Math.max(1, s.window);

    // Slots: one per connect in flight.
    const slotHost = new Int32Array(W).fill(-1);
    const slotPos = new Int32Array(W);
    const slotStart = new Float64Array(W);
    const slotGen = new Uint32Array(W);
    const free = new Int32Array(W);
    let freeTop = 0;
    for (let i = W - 1; i >= 0; i--) free[freeTop++] = i;

    let window = W;
    let windowGrowth = 0;
    let inflight = 0;
    /** Probes in flight older than OLD_MS at the last tick. */
    let oldInflight = 0;
    let epoch = 0;
    const base = Math.min(W, BASE_WINDOW);
    let rr = 0;
    let active = H.filter((h) => (h.isActive = h.n > 0));
    let settled = 0;
    let stallUntil = 0;
    let localStall = 0;
    let finished = false;
    let pumpQueued = false;
    const stats: ShardStats = { started: 0, localErrors: 0, selfConnects: 0, smallestWindow: W, aborted: false };

    const connector: Connector = factory(W, onDone);

    function allocSlot(hi: number, pos: number, now: number): number {
      const slot = free[--freeTop]!;
      slotHost[slot] = hi;
      slotPos[slot] = pos;
      slotStart[slot] = now;
      slotGen[slot] = (slotGen[slot]! + 1) >>> 0;
      inflight++;
      return slot;
    }

    function releaseSlot(slot: number): void {
      slotHost[slot] = -1;
      free[freeTop++] = slot;
      inflight--;
    }

    /** Pick the next position of host h to probe, or -1. Order: requeued, due retries, fresh. */
    function takeWork(h: HostState, now: number): number {
      if (h.requeue.length > 0) return h.requeue.pop()!;
      if (h.retryHead < h.retryPos.length && h.retryAt[h.retryHead]! <= now) {
        const pos = h.retryPos[h.retryHead++]!;
        if (h.retryHead === h.retryPos.length) {
          h.retryPos.length = 0;
          h.retryAt.length = 0;
          h.retryHead = 0;
        }
        return pos;
      }
      return h.takeFresh();
    }

    function canStart(h: HostState, now: number): boolean {
      const old = h.epoch === epoch ? Math.min(h.old, h.inflight) : 0;
      if (h.inflight - old >= h.cwnd || h.configError !== undefined) return false;
      if (h.tokens < 1) {
        h.tokens = Math.min(burst, h.tokens + (now - h.refillAt) * ratePerMs);
        h.refillAt = now;
        if (h.tokens < 1) return false;
      }
      return h.requeue.length > 0 || (h.retryHead < h.retryPos.length && h.retryAt[h.retryHead]! <= now) || h.hasFresh();
    }

    function pump(): void {
      if (finished || hooks.signal?.aborted) return;
      let now = performance.now();
      if (now < stallUntil) return;
      let starts = 0;
      while (inflight < Math.min(window, base + oldInflight) && active.length > 0) {
        if (starts >= STARTS_PER_PUMP) {
          if (!pumpQueued) {
            pumpQueued = true;
            setImmediate(() => {
              pumpQueued = false;
              pump();
            });
          }
          return;
        }
        if (runRatePerMs > 0 && runTokens < 1) {
          runTokens = Math.min(runBurst, runTokens + (now - runRefillAt) * runRatePerMs);
          runRefillAt = now;
          // The tick (every TICK_MS) pumps again once tokens have refilled.
          if (runTokens < 1) return;
        }
        const count = active.length;
        let picked: HostState | null = null;
        let hi = -1;
        for (let k = 0; k < count; k++) {
          const idx = (rr + k) % count;
          const h = active[idx]!;
          if (canStart(h, now)) {
            picked = h;
            hi = idx;
            break;
          }
        }
        if (picked === null) return;
        rr = hi + 1;
        const pos = takeWork(picked, now);
        // Another shard claimed the last chunk meanwhile: this address has nothing fresh now.
        if (pos < 0) continue;
        startProbe(picked, pos, now);
        starts++;
        if (now < stallUntil) return;
        if ((starts & 63) === 0) now = performance.now();
      }
    }

    function startProbe(h: HostState, pos: number, now: number): void {
      const slot = allocSlot(h.index, pos, now);
      h.inflight++;
      h.tokens--;
      runTokens--;
      h.attempts[pos]!++;
      stats.started++;
      const status = connector.start(slot, h.h.ip, h.h.family, h.h.ports[pos]!);
      if (status !== 0) {
        releaseSlot(slot);
        h.inflight--;
        outcome(h, pos, status, classify(status), 0, now);
      }
    }

    function onDone(slot: number, status: number, selfConnect: boolean): void {
      const hi = slotHost[slot]!;
      if (hi < 0) return;
      const pos = slotPos[slot]!;
      const now = performance.now();
      const rtt = now - slotStart[slot]!;
      releaseSlot(slot);
      const h = H[hi]!;
      h.inflight--;
      if (selfConnect) {
        stats.selfConnects++;
        h.attempts[pos]!--;
        h.requeue.push(pos);
      } else {
        outcome(h, pos, status, classify(status), rtt, now);
      }
      pump();
      checkDone();
    }

    function outcome(h: HostState, pos: number, status: number, o: Outcome, rtt: number, now: number): void {
      switch (o) {
        case Outcome.Open:
        case Outcome.Closed: {
          const wasRetry = h.attempts[pos]! > 1;
          h.state[pos] = o === Outcome.Open ? Code.Open : Code.Closed;
          h.rttMs[pos] = rtt;
          h.rtt.add(rtt);
          group.add(rtt);
          localStall = 0;
          if (h.cwnd < s.cwndMax) h.cwnd++;
          if (!wasRetry) h.dropEwma -= h.dropEwma * DROP_ALPHA;
          else deepen(h);
          if (window < W && ++windowGrowth >= 8) {
            windowGrowth = 0;
            window++;
          }
          settled++;
          return;
        }
        case Outcome.Unreachable:
          h.state[pos] = Code.Unreachable;
          localStall = 0;
          settled++;
          return;
        case Outcome.Filtered:
          timedOut(h, pos, now);
          return;
        case Outcome.Config:
          // The address itself cannot be probed (e.g. fe80:: without a zone): stop trying it.
          h.attempts[pos]!--;
          h.configError ??= `${errnoName(status)}: ${h.h.ip} cannot be probed from here`;
          return;
        case Outcome.Local: {
          stats.localErrors++;
          h.attempts[pos]!--;
          h.lastLocal = errnoName(status);
          // Shrink to what was really sustainable, then pause one tick for fds/ports to free up.
          window = Math.max(1, Math.min(window, Math.floor(inflight * 0.75)));
          stats.smallestWindow = Math.min(stats.smallestWindow, window);
          stallUntil = now + TICK_MS;
          if (inflight === 0 && ++localStall > LOCAL_STALL_LIMIT) {
            fail(new PortdriftError('PD_PROBE_LOCAL', `probing keeps failing locally (${h.lastLocal}) with nothing in flight; raise the open-files limit or free ephemeral ports`));
            return;
          }
          // While our own probes hold fds and ports, a local error says only that the window
          // was too large, and it clears as they finish; only failures with nothing of ours in
          // flight count against the probe.
          if (inflight === 0 && ++h.localFails[pos]! >= LOCAL_TRIES) {
            h.localGaveUp++;
            settled++;
          } else {
            h.requeue.push(pos);
          }
          return;
        }
      }
    }

    function timedOut(h: HostState, pos: number, now: number): void {
      h.state[pos] = Code.Filtered;
      syncDepth(h);
      if (h.attempts[pos] === 1) {
        h.dropEwma += (1 - h.dropEwma) * DROP_ALPHA;
        if (h.dropEwma > DROP_RATIO) h.cwnd = Math.max(s.cwndMin, Math.floor(h.cwnd / 2));
      }
      if (h.attempts[pos]! <= h.depth) {
        h.retryPos.push(pos);
        h.retryAt.push(now + retrySpacing(h));
        reactivate(h);
      } else {
        h.parked.push(pos);
        settled++;
      }
    }

    /**
     * A retry turned up an answer: this path loses packets, so every filtered verdict on it is
     * suspect. nmap then allows one try more than the deepest that paid off; at 1 % loss that
     * still leaves ~0.5 wrong verdicts per 64k probes (p³), so the address gets the full depth
     * (retries + DEEPEN_MAX) at once, and the probes already out of tries get theirs.
     */
    function deepen(h: HostState): void {
      const depth = s.retries === 0 ? 0 : s.retries + DEEPEN_MAX;
      Atomics.store(h.h.cursor, 1, Math.max(depth, Atomics.load(h.h.cursor, 1)));
      deepenTo(h, depth);
    }

    /** Take over a depth another thread reached on this address; true if that gave work. */
    function syncDepth(h: HostState): boolean {
      const d = Atomics.load(h.h.cursor, 1);
      if (d <= h.depth) return false;
      const parked = h.parked.length;
      deepenTo(h, d);
      return parked > 0;
    }

    function deepenTo(h: HostState, depth: number): void {
      if (depth <= h.depth) return;
      h.depth = depth;
      const now = performance.now();
      for (const pos of h.parked) {
        h.retryPos.push(pos);
        h.retryAt.push(now);
        settled--;
      }
      h.parked.length = 0;
      reactivate(h);
    }

    /** Retries are spaced past a burst of loss (docs/design/probe-engine.md#retries). */
    function retrySpacing(h: HostState): number {
      return Math.min(1000, Math.max(200, 2 * h.timeoutMs));
    }

    function reactivate(h: HostState): void {
      if (h.isActive) return;
      h.isActive = true;
      active.push(h);
    }

    // The coarse clock: timeouts, due retries, rate refills, progress.
    let pendingVerdicts: number[] = [];
    let verdictQueued = false;
    const timer = setInterval(tick, TICK_MS);

    function tick(): void {
      if (finished) return;
      const now = performance.now();
      const fallback = group.samples > 0 ? group.timeout() : s.timeoutCapMs;
      // Per-address state is refreshed only for addresses with probes in flight: O(window), not
      // O(addresses), per tick.
      epoch++;
      let old = 0;
      for (let slot = 0; slot < W; slot++) {
        const hi = slotHost[slot]!;
        if (hi < 0) continue;
        const h = H[hi]!;
        if (h.epoch !== epoch) {
          h.epoch = epoch;
          h.old = 0;
          h.timeoutMs = h.rtt.timeout(fallback);
        }
        const age = now - slotStart[slot]!;
        if (age >= OLD_MS) {
          old++;
          h.old++;
        }
        if (age >= h.timeoutMs) pendingVerdicts.push(slot, slotGen[slot]!);
      }
      oldInflight = old;
      if (pendingVerdicts.length > 0 && !verdictQueued) {
        verdictQueued = true;
        setImmediate(verdicts);
      }
      if ((epoch & 7) === 0) active = active.filter((h) => (h.isActive = h.hasWork() || h.inflight > 0));
      hooks.onProgress?.(settled);
      pump();
      checkDone();
    }

    function verdicts(): void {
      verdictQueued = false;
      const list = pendingVerdicts;
      pendingVerdicts = [];
      const now = performance.now();
      for (let i = 0; i < list.length; i += 2) {
        const slot = list[i]!;
        if (slotGen[slot] !== list[i + 1] || slotHost[slot]! < 0) continue;
        const h = H[slotHost[slot]!]!;
        const pos = slotPos[slot]!;
        connector.cancel(slot);
        releaseSlot(slot);
        h.inflight--;
        timedOut(h, pos, now);
      }
      pump();
      checkDone();
    }

    function cancelAll(): void {
      for (let slot = 0; slot < W; slot++) {
        const hi = slotHost[slot]!;
        if (hi < 0) continue;
        const h = H[hi]!;
        const pos = slotPos[slot]!;
        connector.cancel(slot);
        releaseSlot(slot);
        h.inflight--;
        // The try in flight did not happen; an earlier filtered verdict stands.
        h.attempts[pos]!--;
      }
    }

    function finish(): void {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      hooks.signal?.removeEventListener('abort', onAbort);
      hooks.onProgress?.(settled);
      resolve({
        results: H.map((h) => {
          const errors: string[] = [];
          if (h.configError) errors.push(h.configError);
          if (h.localGaveUp > 0) errors.push(`${h.localGaveUp} probe(s) not made: local ${h.lastLocal} persisted`);
          return { state: h.state, rtt: h.rttMs, attempts: h.attempts, ...(errors.length ? { error: errors.join('; ') } : {}) };
        }),
        stats,
      });
    }

    function fail(err: Error): void {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      cancelAll();
      hooks.signal?.removeEventListener('abort', onAbort);
      reject(err);
    }

    function checkDone(): void {
      if (finished || inflight > 0) return;
      for (const h of active) if (h.hasWork()) return;
      // Before giving up on parked probes: another thread may have deepened their address.
      let more = false;
      for (const h of H) if (h.parked.length > 0 && syncDepth(h)) more = true;
      if (more) {
        pump();
        return;
      }
      finish();
    }

    function onAbort(): void {
      stats.aborted = true;
      cancelAll();
      finish();
    }
    if (hooks.signal?.aborted) {
      onAbort();
      return;
    }
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    pump();
    checkDone();
  });
}
