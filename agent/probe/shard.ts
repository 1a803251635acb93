// One event loop's share of a probe run: a window of connects in flight over many addresses,
// refilled as each ends (Little's law: throughput = window ÷ probe time). This file wires the
// units together and owns the run's life (start, verdicts, end, abort, failure); each decision
// lives in its own unit: window.ts (window and run-wide rate), host.ts (per-address pacing and
// work order), rotation.ts (fairness), timeouts.ts (timeout decision), retry.ts (retry pass),
// results.ts (verdicts by probe position). No timer per probe: one coarse tick walks the slots
// in flight, and its verdicts are given in clock.soon (setImmediate), after the poll phase has
// delivered every completed connect, so a busy loop cannot turn an answered probe into a
// timeout. Runs in the main thread or in a worker (worker.ts).
import { PortdriftError } from '../../shared/errors.js';
import { classify, errnoName, Outcome } from './classify.js';
import { TICK_MS, type Clock, type Ticker } from './clock.js';
import type { Connector, ConnectorFactory } from './connector.js';
import { HostState } from './host.js';
import { ShardResults } from './results.js';
import { RetryPass } from './retry.js';
import { Rotation } from './rotation.js';
import { RttEstimator } from './rtt.js';
import {
  Code,
  type ShardHooks,
  type ShardHost,
  type ShardHostResult,
  type ShardSettings,
  type ShardStats,
} from './shard-types.js';
import { Slots } from './slots.js';
import { TimeoutWalk } from './timeouts.js';
import { Window } from './window.js';

/** Starts per pump call: socket creation is paced so one burst cannot stall the loop. */
export const STARTS_PER_PUMP = 512;
/** After this many local failures of one probe with nothing else in flight it is given up (and the address says so). */
export const LOCAL_TRIES = 50;
/** Ticks between prunes of the rotation (a power of two). */
const PRUNE_EVERY = 8;

export interface ShardOutput {
  results: ShardHostResult[];
  stats: ShardStats;
}

export class Shard {
  private readonly hosts: HostState[];
  private readonly group: RttEstimator;
  private readonly slots: Slots;
  private readonly window: Window;
  private readonly rotation: Rotation;
  private readonly walk: TimeoutWalk;
  private readonly retry: RetryPass;
  private readonly results = new ShardResults();
  readonly stats: ShardStats;
  private connector!: Connector;
  private ticker: Ticker | undefined;
  private finished = false;
  private pumpQueued = false;
  private verdictQueued = false;
  private resolve!: (out: ShardOutput) => void;
  private reject!: (err: Error) => void;

  constructor(
    hosts: readonly ShardHost[],
    s: ShardSettings,
    private readonly factory: ConnectorFactory,
    private readonly hooks: ShardHooks,
    private readonly clock: Clock,
  ) {
    const now = clock.now();
    this.hosts = hosts.map((h, i) => new HostState(i, h, s, now));
    this.group = new RttEstimator(s.timeoutFloorMs, s.timeoutCapMs);
    this.window = new Window(s.window, s.rate, now);
    this.slots = new Slots(this.window.max);
    this.rotation = new Rotation(this.hosts);
    this.walk = new TimeoutWalk(this.slots, this.hosts, this.group, s.timeoutCapMs);
    this.retry = new RetryPass(s.retries, clock, this.rotation);
    this.stats = { started: 0, localErrors: 0, selfConnects: 0, smallestWindow: this.window.max, aborted: false };
  }

  /** Probes every address; resolves when every probe has its verdict or the signal aborts. */
  run(): Promise<ShardOutput> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.connector = this.factory(this.slots.size, this.onDone);
      this.ticker = this.clock.every(TICK_MS, this.tick);
      if (this.hooks.signal?.aborted) {
        this.onAbort();
        return;
      }
      this.hooks.signal?.addEventListener('abort', this.onAbort, { once: true });
      this.pump();
      this.checkDone();
    });
  }

  /** Starts probes while the window, the run-wide rate and some address's pacing allow. */
  private pump(): void {
    if (this.finished || this.hooks.signal?.aborted) return;
    const { window, slots, rotation, clock } = this;
    let now = clock.now();
    if (window.stalled(now)) return;
    let starts = 0;
    while (window.hasRoom(slots.inflight) && rotation.active.length > 0) {
      if (starts >= STARTS_PER_PUMP) {
        if (!this.pumpQueued) {
          this.pumpQueued = true;
          clock.soon(this.pumpLater);
        }
        return;
      }
      // The tick (every TICK_MS) pumps again once tokens have refilled.
      if (!window.hasToken(now)) return;
      const h = rotation.pick(now, this.walk.epoch);
      if (h === null) return;
      const pos = h.takeWork(now);
      // Another shard claimed the last chunk meanwhile: this address has nothing fresh now.
      if (pos < 0) continue;
      this.startProbe(h, pos, now);
      starts++;
      if (window.stalled(now)) return;
      if ((starts & 63) === 0) now = clock.now();
    }
  }

  private readonly pumpLater = (): void => {
    this.pumpQueued = false;
    this.pump();
  };

  private startProbe(h: HostState, pos: number, now: number): void {
    const slot = this.slots.alloc(h.index, pos, now);
    h.started(pos);
    this.window.spend();
    this.stats.started++;
    const status = this.connector.start(slot, h.h.ip, h.h.family, h.h.ports[pos]!);
    if (status !== 0) {
      this.slots.release(slot);
      h.inflight--;
      this.outcome(h, pos, status, classify(status), 0, now);
    }
  }

  private readonly onDone = (slot: number, status: number, selfConnect: boolean): void => {
    const slots = this.slots;
    const hi = slots.host[slot]!;
    if (hi < 0) return;
    const pos = slots.pos[slot]!;
    const now = this.clock.now();
    const rtt = now - slots.start[slot]!;
    slots.release(slot);
    const h = this.hosts[hi]!;
    h.inflight--;
    if (selfConnect) {
      this.stats.selfConnects++;
      h.attempts[pos]!--;
      h.requeue.push(pos);
    } else {
      this.outcome(h, pos, status, classify(status), rtt, now);
    }
    this.pump();
    this.checkDone();
  };

  private outcome(h: HostState, pos: number, status: number, o: Outcome, rtt: number, now: number): void {
    switch (o) {
      case Outcome.Open:
      case Outcome.Closed: {
        const wasRetry = h.attempts[pos]! > 1;
        this.results.answered(h, pos, o === Outcome.Open ? Code.Open : Code.Closed, rtt);
        h.rtt.add(rtt);
        this.group.add(rtt);
        h.answered(wasRetry);
        if (wasRetry) this.results.unsettle(this.retry.deepen(h));
        this.window.answered();
        return;
      }
      case Outcome.Unreachable:
        this.results.unreachable(h, pos);
        this.window.progressed();
        return;
      case Outcome.Filtered:
        this.timedOut(h, pos, now);
        return;
      case Outcome.Config:
        // The address itself cannot be probed (e.g. fe80:: without a zone): stop trying it.
        h.attempts[pos]!--;
        h.configError ??= `${errnoName(status)}: ${h.h.ip} cannot be probed from here`;
        return;
      case Outcome.Local:
        this.localError(h, pos, status, now);
        return;
    }
  }

  private localError(h: HostState, pos: number, status: number, now: number): void {
    const inflight = this.slots.inflight;
    this.stats.localErrors++;
    h.attempts[pos]!--;
    h.lastLocal = errnoName(status);
    const hopeless = this.window.localError(inflight, now);
    this.stats.smallestWindow = Math.min(this.stats.smallestWindow, this.window.size);
    if (hopeless) {
      const why = `probing keeps failing locally (${h.lastLocal}) with nothing in flight`;
      this.fail(new PortdriftError('PD_PROBE_LOCAL', `${why}; raise the open-files limit or free ephemeral ports`));
      return;
    }
    // While our own probes hold fds and ports, a local error says only that the window
    // was too large, and it clears as they finish; only failures with nothing of ours in
    // flight count against the probe.
    if (inflight === 0 && ++h.localFails[pos]! >= LOCAL_TRIES) this.results.gaveUp(h);
    else h.requeue.push(pos);
  }

  /** No answer in time (or an errno that proves nothing): filtered, then another try or parked. */
  private timedOut(h: HostState, pos: number, now: number): void {
    this.results.filtered(h, pos);
    this.results.unsettle(this.retry.sync(h));
    if (h.attempts[pos] === 1) h.firstTryLost();
    if (!this.retry.offer(h, pos, now)) this.results.settle();
  }

  // The coarse clock: timeouts, due retries, rate refills, progress.
  private readonly tick = (): void => {
    if (this.finished) return;
    const now = this.clock.now();
    const due = this.walk.walk(now);
    this.window.old = this.walk.old;
    if (due && !this.verdictQueued) {
      this.verdictQueued = true;
      this.clock.soon(this.verdicts);
    }
    if ((this.walk.epoch & (PRUNE_EVERY - 1)) === 0) this.rotation.prune();
    this.hooks.onProgress?.(this.results.settled);
    this.pump();
    this.checkDone();
  };

  private readonly verdicts = (): void => {
    this.verdictQueued = false;
    const list = this.walk.take();
    const now = this.clock.now();
    for (let i = 0; i < list.length; i += 2) {
      const slot = list[i]!;
      if (!this.walk.current(slot, list[i + 1]!)) continue;
      const h = this.hosts[this.slots.host[slot]!]!;
      const pos = this.slots.pos[slot]!;
      this.connector.cancel(slot);
      this.slots.release(slot);
      h.inflight--;
      this.timedOut(h, pos, now);
    }
    this.pump();
    this.checkDone();
  };

  private cancelAll(): void {
    const slots = this.slots;
    for (let slot = 0; slot < slots.size; slot++) {
      const hi = slots.host[slot]!;
      if (hi < 0) continue;
      const h = this.hosts[hi]!;
      const pos = slots.pos[slot]!;
      this.connector.cancel(slot);
      slots.release(slot);
      h.inflight--;
      // The try in flight did not happen; an earlier filtered verdict stands.
      h.attempts[pos]!--;
    }
  }

  private end(): void {
    this.finished = true;
    this.ticker?.stop();
    this.hooks.signal?.removeEventListener('abort', this.onAbort);
  }

  private finish(): void {
    if (this.finished) return;
    this.end();
    this.hooks.onProgress?.(this.results.settled);
    this.resolve({ results: ShardResults.final(this.hosts), stats: this.stats });
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.end();
    this.cancelAll();
    this.reject(err);
  }

  private checkDone(): void {
    if (this.finished || this.slots.inflight > 0 || this.rotation.hasWork()) return;
    // Before giving up on parked probes: another thread may have deepened their address.
    let more = false;
    for (const h of this.hosts) {
      if (h.retry.parked.length === 0) continue;
      const back = this.retry.sync(h);
      if (back > 0) {
        this.results.unsettle(back);
        more = true;
      }
    }
    if (more) {
      this.pump();
      return;
    }
    this.finish();
  }

  private readonly onAbort = (): void => {
    this.stats.aborted = true;
    this.cancelAll();
    this.finish();
  };
}
