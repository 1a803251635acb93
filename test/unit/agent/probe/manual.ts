// Hand-driven time and an in-memory network for the engine's unit tests. ManualClock is the
// engine's Clock whose time moves only when a test says so, with the event loop's phase order
// of one turn: due timers, then the poll phase (answers that have arrived), then immediates.
// ScriptedNet is a Connector that answers each connect as a script says, at a clock time; it
// tests the engine's decisions, while the real-socket tests (engine.test.ts, the lab) prove
// the engine against the kernel.
import { statusOf } from '../../../../agent/probe/classify.js';
import type { Clock, Ticker } from '../../../../agent/probe/clock.js';
import type { ConnectDone, Connector, ConnectorFactory } from '../../../../agent/probe/connector.js';

interface Timer {
  ms: number;
  next: number;
  fn: () => void;
  live: boolean;
}

export class ManualClock implements Clock {
  private t = 0;
  private readonly timers: Timer[] = [];
  private immediates: (() => void)[] = [];
  private readonly pollers: (() => void)[] = [];

  now(): number {
    return this.t;
  }

  every(ms: number, fn: () => void): Ticker {
    const timer: Timer = { ms, next: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { stop: () => void (timer.live = false) };
  }

  soon(fn: () => void): void {
    this.immediates.push(fn);
  }

  /** An I/O source: called in the poll phase of every turn to deliver what has arrived. */
  onPoll(fn: () => void): void {
    this.pollers.push(fn);
  }

  /** Timers still running (a finished engine stops its tick). */
  liveTimers(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** One loop turn at the current time: due timers, then the poll phase, then immediates. */
  turn(): void {
    for (const t of this.timers) {
      if (t.live && t.next <= this.t) {
        // Like setInterval after a blocked loop: one call, the next one interval later.
        t.next = this.t + t.ms;
        t.fn();
      }
    }
    for (const p of this.pollers) p();
    // Immediates queued by immediates run in the next turn, as in node.
    const list = this.immediates;
    this.immediates = [];
    for (const f of list) f();
  }

  /** Moves time forward `ms`, one turn per `step` ms. */
  advance(ms: number, step = 1): void {
    const end = this.t + ms;
    for (let guard = 0; this.t < end && guard < 1_000_000; guard++) {
      this.t = Math.min(end, this.t + step);
      this.turn();
    }
  }

  /** A blocked loop: time moves, nothing runs. */
  block(ms: number): void {
    this.t += ms;
  }

  /** Runs turns until `done()` or `limitMs` have passed; returns the time taken. */
  runUntil(done: () => boolean, limitMs = 60_000, step = 1): number {
    const t0 = this.t;
    while (!done() && this.t - t0 < limitMs) this.advance(step, step);
    return this.t - t0;
  }
}

/** How one connect ends: answered (0 = handshake, or an errno) after `ms`, never, or failing at once. */
export type Answer = { status: number; ms: number; self?: boolean } | 'drop' | { sync: number };
/** attempt: 1 for the first connect to ip:port, 2 for the next… */
export type Script = (ip: string, port: number, attempt: number) => Answer;

export const OPEN = 0;
export const REFUSED = statusOf('ECONNREFUSED');
export const EMFILE = statusOf('EMFILE');
export const open = (ms = 1): Answer => ({ status: OPEN, ms });
export const closed = (ms = 1): Answer => ({ status: REFUSED, ms });

export interface Start {
  t: number;
  ip: string;
  port: number;
  slot: number;
}

export class ScriptedNet {
  readonly starts: Start[] = [];
  readonly cancels: { t: number; slot: number }[] = [];
  /** Most connects in flight at once. */
  peak = 0;
  private readonly tries = new Map<string, number>();
  private readonly pending = new Map<number, { at: number; status: number; self: boolean }>();
  private done: ConnectDone | undefined;

  constructor(
    private readonly clock: ManualClock,
    private readonly script: Script,
  ) {
    clock.onPoll(() => this.deliver());
  }

  readonly factory: ConnectorFactory = (_slots, done): Connector => {
    this.done = done;
    return {
      kind: 'net',
      start: (slot, ip, _family, port) => {
        const key = `${ip}:${port}`;
        const attempt = (this.tries.get(key) ?? 0) + 1;
        this.tries.set(key, attempt);
        const a = this.script(ip, port, attempt);
        if (typeof a === 'object' && 'sync' in a) return a.sync;
        this.starts.push({ t: this.clock.now(), ip, port, slot });
        if (this.pending.has(slot)) throw new Error(`slot ${slot} started while in flight`);
        const at = a === 'drop' ? Infinity : this.clock.now() + a.ms;
        const status = a === 'drop' ? 0 : a.status;
        this.pending.set(slot, { at, status, self: a !== 'drop' && !!a.self });
        this.peak = Math.max(this.peak, this.pending.size);
        return 0;
      },
      cancel: (slot) => {
        this.cancels.push({ t: this.clock.now(), slot });
        this.pending.delete(slot);
      },
    };
  };

  /** Start times of the connects to `port`. */
  timesOf(port: number): number[] {
    return this.starts.filter((s) => s.port === port).map((s) => s.t);
  }

  inflight(): number {
    return this.pending.size;
  }

  private deliver(): void {
    const now = this.clock.now();
    const due = [...this.pending].filter(([, p]) => p.at <= now).sort((a, b) => a[1].at - b[1].at);
    for (const [slot, p] of due) {
      this.pending.delete(slot);
      this.done!(slot, p.status, p.self);
    }
  }
}
