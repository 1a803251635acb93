// Between two sweeps, the declared ports are re-probed every check interval: one connect per
// declared port, so cheap at any fleet size, and what time to detect rests on. A declared port
// whose state differs from the agent's previous probe of it is a change; its host is re-probed at
// once, declared ports and discovery set (where a moved service went). When the change holds on
// that re-probe the host's sweep goes out marked `confirmed`, and the collector takes it without
// waiting for damping cycles: the re-probe is the confirmation. A change the re-probe does not
// see again was a blip: nothing is sent. The discovery sweep stays on the long interval.
import type { Logger } from '../../shared/log.js';
import { jitterInterval } from './backoff.js';
import type { SweepResult } from './batch.js';
import type { LoopClock } from './clock.js';
import { withDeadline } from './deadline.js';
import type { TargetSpec } from './plan.js';

/** The shortest check interval a plan may ask for (the operator's --check-interval is not raised). */
export const MIN_CHECK_INTERVAL_MS = 5000;

/** State of each declared port per address: `host \0 ip \0 port` → state. */
export type DeclaredStates = Map<string, string>;

const key = (host: string, ip: string, port: number) => `${host}\u0000${ip}\u0000${port}`;

/** The declared ports' states in these sweeps (addresses that did not resolve have none). */
export function declaredStates(sweeps: readonly SweepResult[], specs: readonly TargetSpec[]): DeclaredStates {
  const declared = new Map(specs.map((s) => [s.host, new Set(s.declared)]));
  const out: DeclaredStates = new Map();
  for (const s of sweeps) {
    const ports = declared.get(s.host);
    if (!ports || s.ip === null) continue;
    for (const r of s.results) if (ports.has(r.port)) out.set(key(s.host, r.ip, r.port), r.state);
  }
  return out;
}

/** Hosts with a declared port whose state in `now` differs from a state known `before`. */
export function changedHosts(before: DeclaredStates, now: DeclaredStates): Set<string> {
  const out = new Set<string>();
  for (const [k, state] of now) {
    const was = before.get(k);
    if (was !== undefined && was !== state) out.add(k.slice(0, k.indexOf('\u0000')));
  }
  return out;
}

/** Of the `changed` hosts, those whose re-probe reads every declared port as the check did. */
export function heldHosts(changed: ReadonlySet<string>, check: DeclaredStates, again: DeclaredStates): Set<string> {
  const out = new Set(changed);
  for (const [k, state] of check) {
    const host = k.slice(0, k.indexOf('\u0000'));
    if (out.has(host) && again.get(k) !== state) out.delete(host);
  }
  return out;
}

/** A probe run as the checks need it (the loop's ProbeFn with the plan's refusal bound). */
export type CheckProbe = (targets: TargetSpec[], signal: AbortSignal) => Promise<{ sweeps: SweepResult[] }>;

export interface ChecksOptions {
  clock: LoopClock;
  random: () => number;
  stopSignal: AbortSignal;
  logger: Logger;
  /** Wait until `deadline`, delivering the spool meanwhile (the loop's delivery). */
  deliverUntil(deadline: number): Promise<void>;
  /** Spool one batch of these sweeps. */
  spool(sweeps: SweepResult[], startedAt: string, finishedAt: string): void;
  /** Counters this adds to. */
  stats: { checks: number; confirmed: number };
}

export interface CycleChecks {
  /** The plan's targets, its probe, the check interval (0: none) and whether sweeps may be flagged. */
  specs: TargetSpec[];
  probe: CheckProbe;
  everyMs: number;
  flag: boolean;
}

export interface Checks {
  /** A full sweep's results: the states later checks compare with. */
  noteSweep(sweeps: readonly SweepResult[], specs: readonly TargetSpec[]): void;
  /** Until `deadline`: a check every interval (jittered ±10 %), delivering the spool in between. */
  until(deadline: number, cycle: CycleChecks): Promise<void>;
}

export function makeChecks(o: ChecksOptions): Checks {
  const { clock, logger: log } = o;
  const known: DeclaredStates = new Map();
  const learn = (states: DeclaredStates) => {
    for (const [k, v] of states) known.set(k, v);
  };
  const iso = () => new Date(clock.now()).toISOString();

  async function checkOnce(c: CycleChecks): Promise<void> {
    const declaredOnly = c.specs.filter((s) => s.declared.length > 0).map((s) => ({ ...s, discovery: [] }));
    if (declaredOnly.length === 0) return;
    o.stats.checks++;
    // A check never outlives its interval, and stops with the agent.
    const run = await withDeadline(o.stopSignal, c.everyMs, (signal) => c.probe(declaredOnly, signal), clock).catch(
      (err: Error) => {
        log.warn({ err: err.message }, 'declared-port check failed');
        return null;
      },
    );
    if (!run || o.stopSignal.aborted) return;
    await confirm(declaredStates(run.sweeps, declaredOnly), c);
  }

  /** Compare with what is known; re-probe the hosts that changed; send those where it held. */
  async function confirm(check: DeclaredStates, c: CycleChecks): Promise<void> {
    const changed = changedHosts(known, check);
    learn(check);
    if (changed.size === 0) return;
    const startedAt = iso();
    const targets = c.specs.filter((s) => changed.has(s.host));
    const again = await withDeadline(o.stopSignal, c.everyMs, (signal) => c.probe(targets, signal), clock).catch(
      () => null,
    );
    if (!again || o.stopSignal.aborted) return;
    const reprobed = declaredStates(again.sweeps, targets);
    const held = heldHosts(changed, check, reprobed);
    learn(reprobed);
    if (held.size === 0) {
      log.info({ hosts: [...changed] }, 'a declared port changed and changed back on the re-probe; nothing sent');
      return;
    }
    o.stats.confirmed += held.size;
    const sweeps = again.sweeps.map((s) => (c.flag && held.has(s.host) ? { ...s, confirmed: true } : s));
    log.info({ hosts: [...held] }, 'declared port changed, confirmed by an immediate re-probe; sent at once');
    o.spool(sweeps, startedAt, iso());
  }

  /** The last full sweep's states, compared (and a change confirmed) when the wait begins. */
  let swept: DeclaredStates | null = null;

  return {
    noteSweep(sweeps, specs) {
      swept = declaredStates(sweeps, specs);
    },
    async until(deadline, c) {
      const states = swept;
      swept = null;
      // A change the sweep saw first is confirmed like one a check saw; without checks, only learnt.
      if (states && c.everyMs > 0) await confirm(states, c);
      else if (states) learn(states);
      if (c.everyMs > 0) {
        for (let next = clock.now() + jitterInterval(c.everyMs, 0.1, o.random); next < deadline; ) {
          await o.deliverUntil(next);
          if (o.stopSignal.aborted) return;
          await checkOnce(c);
          next = Math.max(next + jitterInterval(c.everyMs, 0.1, o.random), clock.now());
        }
      }
      await o.deliverUntil(deadline);
    },
  };
}
