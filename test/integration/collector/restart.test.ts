// A collector restarted after an outage longer than the freshness window: its store is stale
// until the agents' spools drain, and it must not judge it at once — no endpoint flips to
// unobserved, no finding resolves, no history row, until a cycle has passed.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { postBatch, startTestCollector } from './harness.js';

const LOOP = '127.0.0.1';

describe('restart on a stale store', () => {
  it('records no transition at start', async () => {
    // The collectors' clock is set by hand: a loaded machine cannot age the batch past the
    // freshness window before the first run has judged it.
    let now = Date.parse('2026-03-01T10:00:00Z');
    const first = await startTestCollector({ cycles: 1, freshness: '1m', interval: '1m' }, undefined, () => now);
    const at = new Date(now).toISOString();
    await postBatch(first.url, first.tokens.agent, {
      id: 's1',
      at,
      sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' }],
      obs: [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' }],
    });
    await first.running.collector.idle();
    await first.running.collector.evaluateNow();
    const before = await first.running.store.history({});
    expect(before.map((h) => h.kind)).toContain('moved');
    const openBefore = (await first.running.collector.report()).findings.map((f) => f.id).sort();
    await first.stop(true);
    now += 2 * 60_000; // the outage outlasts the freshness window

    const second = await startTestCollector({ cycles: 1, freshness: '1m', interval: '1m' }, first.dir, () => now);
    try {
      await second.running.collector.idle();
      expect(await second.running.store.history({})).toEqual(before);
      expect((await second.running.collector.report()).findings.map((f) => f.id).sort()).toEqual(openBefore);
      // A forced cycle now judges the stale store: the test shows the start was what held back.
      await second.running.collector.evaluateNow();
      expect((await second.running.store.history({})).length).toBeGreaterThan(before.length);
    } finally {
      await second.stop();
      rmSync(first.dir, { recursive: true, force: true });
    }
  });
});

// The collector's clock is set by hand and the interval is long, so every cycle below is the
// test's own evaluateNow('tick') at a chosen time: no timing of the machine matters.
describe('restart: the agents that were reporting hold the damping until their backlog is in', () => {
  const MIN = 60_000;
  const moved = (id: string, at: number, spoolDepth = 0) => ({
    id,
    at: new Date(at).toISOString(),
    spoolDepth,
    sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' }],
    obs: [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' as const }],
  });

  async function outage() {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const flags = { cycles: 1, freshness: '2m', interval: '1m' };
    const first = await startTestCollector(flags, undefined, () => now);
    await postBatch(first.url, first.tokens.agent, moved('s1', now));
    await first.running.collector.idle();
    await first.running.collector.evaluateNow();
    const before = await first.running.store.history({});
    expect(before.map((h) => `${h.event} ${h.kind}`)).toContain('opened moved');
    await first.stop(true);
    now += 10 * MIN; // the outage outlasts the freshness window
    const started = now;
    const second = await startTestCollector(flags, first.dir, () => now);
    const tick = async (at: number) => {
      now = at;
      await second.running.collector.idle();
      await second.running.collector.evaluateNow('tick');
      return second.running.store.history({});
    };
    return {
      second,
      before,
      started,
      tick,
      post: (b: ReturnType<typeof moved>) => postBatch(second.url, second.tokens.agent, b),
      dir: first.dir,
    };
  }

  it(
    'no cycle judges the stale store while the backlog drains; ' +
      'the first fresh batch with nothing behind it ends the hold',
    async () => {
      const o = await outage();
      try {
        // One interval after the start: the old rule would judge here (moved → unobserved).
        expect(await o.tick(o.started + MIN + 1000)).toEqual(o.before);
        expect((await o.post(moved('s2', o.started - 9 * MIN, 1))).status).toBe(200);
        expect(await o.tick(o.started + 2 * MIN)).toEqual(o.before);
        // The last backlog batch: nothing behind it, but as stale as the rest (the sweep after the
        // restart is still running when it is sent).
        expect((await o.post(moved('s2b', o.started - 8 * MIN, 0))).status).toBe(200);
        expect(await o.tick(o.started + 2 * MIN + 500)).toEqual(o.before);
        expect((await o.post(moved('s3', o.started + 2 * MIN))).status).toBe(200);
        expect(await o.tick(o.started + 2 * MIN + 1000)).toEqual(o.before);
        // Cycles run again: the service back on its declared port resolves the finding (cycles 1).
        const fixed = {
          ...moved('s4', o.started + 3 * MIN),
          sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5431,5433-5442' }],
          obs: [{ host: LOOP, ip: LOOP, port: 5432, state: 'open' as const }],
        };
        expect((await o.post(fixed)).status).toBe(200);
        const after = await o.tick(o.started + 3 * MIN + 1000);
        expect(after.slice(o.before.length).map((h) => `${h.event} ${h.kind}`)).toEqual(['resolved moved']);
      } finally {
        await o.second.stop();
        rmSync(o.dir, { recursive: true, force: true });
      }
    },
  );

  it('an agent that does not come back holds the damping for at most 3 intervals', async () => {
    const o = await outage();
    try {
      expect(await o.tick(o.started + 3 * MIN - 1000)).toEqual(o.before);
      expect((await o.tick(o.started + 3 * MIN + 1000)).length).toBeGreaterThan(o.before.length);
    } finally {
      await o.second.stop();
      rmSync(o.dir, { recursive: true, force: true });
    }
  });
});
