// A clock the test moves by hand (collector/clock.ts): timers fire in due order as time passes,
// and each callback's work (the promise it returns) ends before the clock moves on, so a case
// runs in milliseconds and never guesses how long the collector's work takes.
import type { Clock, Timer, TimerCallback } from '../../../collector/clock.js';

interface Pending {
  at: number;
  every: number | null;
  fn: TimerCallback;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, Pending>();

  constructor(start = Date.parse('2026-03-02T09:00:00.000Z')) {
    this.t = start;
  }

  now = (): number => this.t;

  iso(): string {
    return new Date(this.t).toISOString();
  }

  after = (ms: number, fn: TimerCallback): Timer => this.add(ms, null, fn);

  every = (ms: number, fn: TimerCallback): Timer => {
    if (!(ms > 0)) throw new Error(`every(${ms}): the period must be positive`);
    return this.add(ms, ms, fn);
  };

  private add(ms: number, every: number | null, fn: TimerCallback): Timer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), every, fn });
    return { cancel: () => void this.timers.delete(id) };
  }

  /** Due times of the timers set now, in ms from now, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((p) => p.at - this.t).sort((a, b) => a - b);
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way, each at its time. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (let fired = 0; ; fired++) {
      if (fired > 100_000) throw new Error('ManualClock: more than 100000 timers fired in one advance');
      let next: [number, Pending] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      const [id, p] = next;
      this.t = p.at;
      if (p.every === null) this.timers.delete(id);
      else p.at += p.every;
      await p.fn();
    }
    this.t = end;
  }
}
