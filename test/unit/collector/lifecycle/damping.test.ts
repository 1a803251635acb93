import { describe, expect, it } from 'vitest';
import { evaluateLifecycle } from '../../../../collector/lifecycle/damping.js';
import type { StoredFinding } from '../../../../collector/store/types.js';
import type { Finding } from '../../../../shared/types.js';

const f = (id: string): Finding => ({
  id,
  kind: 'missing',
  severity: 'high',
  resource: 'r',
  source: null,
  host: 'h',
  port: 1,
  state: 'closed',
  agent: 'a',
  firstSeen: 'x',
  lastSeen: 'x',
  message: 'm',
  suggestion: 's',
  ack: null,
});
const t = (i: number) => new Date(Date.UTC(2026, 11, 1, 10, i)).toISOString();

/** Run evaluations with the given presence pattern; return the status after each and the events. */
function run(
  pattern: boolean[],
  cycles: number,
  ack?: StoredFinding['ack'],
): { statuses: string[]; events: string[]; last: StoredFinding[] } {
  let state: StoredFinding[] = [];
  const statuses: string[] = [];
  const events: string[] = [];
  pattern.forEach((present, i) => {
    const { write, transitions } = evaluateLifecycle(state, present ? [f('f1')] : [], {
      now: t(i),
      cycles,
      revision: 'r',
    });
    const byId = new Map(state.map((s) => [s.finding.id, s]));
    for (const u of write.upsert) byId.set(u.finding.id, u);
    for (const id of write.remove) byId.delete(id);
    state = [...byId.values()];
    if (ack && i === 1) state = state.map((s) => ({ ...s, ack, finding: { ...s.finding, ack } }));
    statuses.push(state[0]?.status ?? '-');
    events.push(
      ...transitions.map((x) => x.event),
      ...write.history.filter((h) => h.event === 'unacknowledged').map(() => 'unacknowledged'),
    );
  });
  return { statuses, events, last: state };
}

describe('finding lifecycle with damping', () => {
  it('opens only after N consecutive evaluations, and a single blip never opens', () => {
    expect(run([true, false, true, false], 2).statuses).toEqual(['pending', '-', 'pending', '-']);
    const r = run([true, true, true], 2);
    expect(r.statuses).toEqual(['pending', 'open', 'open']);
    expect(r.events).toEqual(['opened']);
    expect(r.last[0]!.finding).toMatchObject({ firstSeen: t(0), lastSeen: t(2) });
  });

  it('resolves only after N consecutive absences; a short gap keeps it open', () => {
    expect(run([true, true, false, true, false, false], 2).statuses).toEqual([
      'pending',
      'open',
      'open',
      'open',
      'open',
      'resolved',
    ]);
    const r = run([true, true, false, false], 2);
    expect(r.events).toEqual(['opened', 'resolved']);
    expect(r.last[0]!.finding.resolvedAt).toBe(t(3));
  });

  it('reopens a resolved finding after N evaluations, keeping it resolved in between', () => {
    const r = run([true, true, false, false, true, true], 2);
    expect(r.statuses).toEqual(['pending', 'open', 'open', 'resolved', 'resolved', 'open']);
    expect(r.events).toEqual(['opened', 'resolved', 'reopened']);
    expect(r.last[0]!.finding.resolvedAt).toBeNull();
  });

  it('with cycles = 1 opens and resolves at once', () => {
    expect(run([true, false], 1).events).toEqual(['opened', 'resolved']);
  });

  it('drops an expired acknowledgement with a history row, keeps an active one', () => {
    const expired = run([true, true, true, true], 2, { by: 'ops', reason: 'x', at: t(1), expiresAt: t(2) });
    expect(expired.last[0]!.ack).toBeNull();
    expect(expired.events).toContain('unacknowledged');
    const active = run([true, true, true], 2, { by: 'ops', reason: 'x', at: t(1), expiresAt: null });
    expect(active.last[0]!.ack).toMatchObject({ by: 'ops' });
  });

  it('an acknowledgement ends when its finding resolves: the drift coming back is reported, not silenced', () => {
    const ack = { by: 'ops', reason: 'maintenance', at: t(1), expiresAt: null };
    const resolved = run([true, true, false, false], 2, ack);
    expect(resolved.statuses.at(-1)).toBe('resolved');
    expect(resolved.last[0]!.ack).toBeNull();
    expect(resolved.last[0]!.finding.ack).toBeNull();
    const back = run([true, true, false, false, true, true], 2, ack);
    expect(back.events).toEqual(['opened', 'resolved', 'reopened']);
    expect(back.last[0]!.ack).toBeNull();
    // A store written before this rule may hold an ack on a resolved finding: the reopen drops it.
    const legacy: StoredFinding = { ...resolved.last[0]!, ack, finding: { ...resolved.last[0]!.finding, ack } };
    const again = evaluateLifecycle([legacy], [f('f1')], { now: t(9), cycles: 1, revision: 'r' });
    expect(again.transitions.map((x) => x.event)).toEqual(['reopened']);
    expect(again.write.upsert[0]).toMatchObject({ status: 'open', ack: null, finding: { ack: null } });
  });

  it('a refresh between cycles updates open findings and moves no counter', () => {
    let state: StoredFinding[] = [];
    const step = (present: boolean, i: number, advance: boolean) => {
      const { write, transitions } = evaluateLifecycle(state, present ? [{ ...f('f1'), message: `m${i}` }] : [], {
        now: t(i),
        cycles: 2,
        revision: 'r',
        advance,
      });
      const byId = new Map(state.map((s) => [s.finding.id, s]));
      for (const u of write.upsert) byId.set(u.finding.id, u);
      state = [...byId.values()];
      return transitions;
    };
    expect(step(true, 0, false)).toEqual([]);
    expect(state).toEqual([]); // a refresh never starts a pending finding
    step(true, 1, true);
    step(true, 2, false);
    expect(state[0]).toMatchObject({ status: 'pending', present: 1 });
    expect(step(true, 3, true).map((x) => x.event)).toEqual(['opened']);
    step(true, 4, false);
    expect(state[0]).toMatchObject({ status: 'open', present: 2, finding: { message: 'm4', lastSeen: t(4) } });
    expect(step(false, 5, false)).toEqual([]);
    expect(state[0]).toMatchObject({ status: 'open', absent: 0 });
  });

  it(
    "a confirmed host's findings open and resolve in the evaluation " +
      'that sees them, also between cycles; other hosts keep their damping',
    () => {
      const g = (id: string, host: string): Finding => ({ ...f(id), host });
      const apply = (state: StoredFinding[], w: { upsert: StoredFinding[]; remove: string[] }) => {
        const byId = new Map(state.map((s) => [s.finding.id, s]));
        for (const u of w.upsert) byId.set(u.finding.id, u);
        for (const id of w.remove) byId.delete(id);
        return [...byId.values()];
      };
      const now = { now: t(0), cycles: 2, revision: 'r', advance: false };
      // Between cycles (advance false): the confirmed host's drift opens, the other's is not even pending.
      const a = evaluateLifecycle([], [g('f1', 'h1'), g('f2', 'h2')], { ...now, confirmed: new Set(['h1']) });
      expect(a.transitions.map((x) => `${x.event} ${x.finding.id}`)).toEqual(['opened f1']);
      expect(a.write.openCount).toBe(1);
      let state = apply([], a.write);
      expect(state.map((s) => `${s.finding.id} ${s.status}`)).toEqual(['f1 open']);
      // Without confirmation the same evaluation changes nothing (the damping as before).
      expect(evaluateLifecycle([], [g('f1', 'h1')], now).transitions).toEqual([]);
      // Gone on a confirmed re-probe: resolved at once; an open finding of another host is kept.
      const b0 = evaluateLifecycle(state, [g('f1', 'h1'), g('f2', 'h2')], {
        ...now,
        advance: true,
        confirmed: new Set(['h2']),
      });
      state = apply(state, b0.write);
      expect(state.map((s) => `${s.finding.id} ${s.status}`).sort()).toEqual(['f1 open', 'f2 open']);
      const b = evaluateLifecycle(state, [], { ...now, confirmed: new Set(['h1']) });
      expect(b.transitions.map((x) => `${x.event} ${x.finding.id}`)).toEqual(['resolved f1']);
      expect(b.write.openCount).toBe(1);
      expect(b.write.history.map((h) => `${h.event} ${h.findingId}`)).toEqual(['resolved f1']);
    },
  );
});
