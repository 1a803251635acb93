// Hand-driven time and an in-memory collector and probe for the agent loop's unit tests.
// ManualLoopClock is the loop's clock whose time moves only when a test says so: between two
// timers every pending promise settles (the collector, the spool and the probe here answer in
// promises only, never on real I/O). The real-socket suites (test/integration/agent) prove the
// loop with the real transport, engine and collector; these test its decisions.
import type { LoopClock } from '../../../../agent/daemon/clock.js';
import type { CollectorApi, SweepRun } from '../../../../agent/daemon/loop.js';
import type { TargetSpec } from '../../../../agent/daemon/plan.js';
import type { PlanResult, SendResult } from '../../../../agent/daemon/transport.js';
import type { Logger } from '../../../../shared/log.js';
import type { Plan, ProbeResult } from '../../../../shared/types.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

export class ManualLoopClock implements LoopClock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  timer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return () => void (timer.live = false);
  }

  /** Time moves to `t`, firing every timer due on the way in order, each after all promises settled. */
  async advanceTo(t: number): Promise<void> {
    for (let guard = 0; guard < 1_000_000; guard++) {
      await settle();
      this.timers = this.timers.filter((x) => x.live);
      const next = this.timers.filter((x) => x.at <= t).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.live = false;
      next.fn();
    }
    this.t = Math.max(this.t, t);
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }

  /** Moves time on until `done()` holds, at most `limitMs`; returns the time taken. */
  async until(done: () => boolean, limitMs: number, stepMs = 100): Promise<number> {
    const t0 = this.t;
    while (!done()) {
      if (this.t - t0 >= limitMs) throw new Error(`not done within ${limitMs} ms of clock time`);
      await this.advance(stepMs);
    }
    return this.t - t0;
  }
}

export interface LogEntry {
  level: string;
  msg: string;
  obj: Record<string, unknown>;
  at: number;
}

/** A logger that records every line with the clock time it was written at. */
export function recordingLogger(clock: LoopClock): {
  logger: Logger;
  lines: LogEntry[];
  messages: (msg: string) => LogEntry[];
} {
  const lines: LogEntry[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => {
    if (typeof obj === 'string') lines.push({ level, msg: obj, obj: {}, at: clock.now() });
    else lines.push({ level, msg: msg ?? '', obj: (obj ?? {}) as Record<string, unknown>, at: clock.now() });
  };
  const logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
  };
  (logger as unknown as { child: () => unknown }).child = () => logger;
  return { logger: logger as unknown as Logger, lines, messages: (msg) => lines.filter((l) => l.msg === msg) };
}

export function plan(revision: string, targets: Plan['targets'], intervalMs = 60_000, extra: Partial<Plan> = {}): Plan {
  return { version: 1, agent: 'a', revision, intervalMs, targets, tokenScope: null, ...extra };
}

export interface Sent {
  batchId: string;
  body: string;
  at: number;
}

/**
 * The collector as the loop sees it: up or down (a refused connection, at once or after
 * `hangMs` of clock time), serving `plan` with its ETag, keeping every accepted batch.
 */
export class FakeCollector implements CollectorApi {
  up = true;
  plan: Plan | null = null;
  /** A failed request takes this long before it fails (a transport retrying inside). */
  failAfterMs = 0;
  readonly accepted: Sent[] = [];
  readonly attempts: Sent[] = [];
  readonly planRequests: Array<{ at: number; etag: string | null }> = [];
  reject: ((batchId: string) => SendResult | null) | null = null;

  constructor(private readonly clock: ManualLoopClock) {}

  private fail(signal: AbortSignal | undefined): Promise<never> {
    return new Promise((_, reject) => {
      const err = new Error('connect ECONNREFUSED 127.0.0.1:7600');
      if (this.failAfterMs === 0) return reject(err);
      const cancel = this.clock.timer(this.failAfterMs, () => reject(err));
      signal?.addEventListener('abort', () => (cancel(), reject(signal.reason)), { once: true });
    });
  }

  async getPlan(etag: string | null, _scope: readonly string[], signal?: AbortSignal): Promise<PlanResult> {
    this.planRequests.push({ at: this.clock.now(), etag });
    if (!this.up || !this.plan) return this.fail(signal);
    if (etag === this.plan.revision) return { kind: 'unchanged' };
    return { kind: 'plan', plan: this.plan, etag: this.plan.revision };
  }

  async sendBatch(batchId: string, body: string, signal?: AbortSignal): Promise<SendResult> {
    const sent = { batchId, body, at: this.clock.now() };
    this.attempts.push(sent);
    if (!this.up) return this.fail(signal);
    const refused = this.reject?.(batchId);
    if (refused) return refused;
    // Exactly once per Idempotency-Key, as the collector keeps it.
    if (!this.accepted.some((s) => s.batchId === batchId)) this.accepted.push(sent);
    return { kind: 'accepted', status: 200 };
  }

  /** The wire records of every accepted batch, in delivery order. */
  records(): Array<Array<Record<string, unknown>>> {
    return this.accepted.map((s) =>
      s.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }
}

export interface ProbeCall {
  at: number;
  targets: TargetSpec[];
}

/**
 * A network of hosts whose ports are open or not as `open` says at the time of the probe; a
 * probe run takes `durationMs` of clock time (or until aborted).
 */
export class FakeNetwork {
  /** host → open ports; a host is its own address. */
  readonly open = new Map<string, Set<number>>();
  durationMs = 0;
  readonly calls: ProbeCall[] = [];

  constructor(private readonly clock: ManualLoopClock) {}

  /** Called at every probe call before it is answered (a test changes the network there). */
  beforeProbe: ((targets: TargetSpec[]) => void) | null = null;

  probe = (targets: TargetSpec[], signal: AbortSignal): Promise<SweepRun> => {
    this.calls.push({ at: this.clock.now(), targets });
    this.beforeProbe?.(targets);
    const result = (): SweepRun => {
      const sweeps = targets.map((t) => {
        const ports = [...t.declared, ...t.discovery];
        const results: ProbeResult[] = ports.map((port) => ({
          host: t.host,
          ip: t.host,
          port,
          state: this.open.get(t.host)?.has(port) ? 'open' : 'closed',
          rttMs: 1,
          attempts: 1,
        }));
        return { host: t.host, ip: t.host, ports, results };
      });
      const all = sweeps.flatMap((s) => s.results);
      const open = all.filter((r) => r.state === 'open').length;
      const summary = {
        probes: all.length,
        open,
        closed: all.length - open,
        filtered: 0,
        unreachable: 0,
        seconds: this.durationMs / 1000,
      };
      return { sweeps, summary, skipped: [] };
    };
    if (this.durationMs === 0) return Promise.resolve(result());
    return new Promise((resolve) => {
      const cancel = this.clock.timer(this.durationMs, () => resolve(result()));
      signal.addEventListener('abort', () => (cancel(), resolve(result())), { once: true });
    });
  };
}
