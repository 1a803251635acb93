// A collector restarted after an outage longer than the freshness window: its store is stale
// until the agents' spools drain, and it must not judge it at once — no endpoint flips to
// unobserved, no finding resolves, no history row, until a cycle has passed.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { postBatch, startTestCollector } from './harness.js';

const LOOP = '127.0.0.1';

describe('restart on a stale store', () => {
  it('records no transition at start', async () => {
    const first = await startTestCollector({ cycles: 1, freshness: '1s', interval: '1m' });
    await postBatch(first.url, first.tokens.agent, { id: 's1', sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' }], obs: [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' }] });
    await first.running.collector.idle();
    await first.running.collector.evaluateNow();
    const before = await first.running.store.history({});
    expect(before.map((h) => h.kind)).toContain('moved');
    const openBefore = (await first.running.collector.report()).findings.map((f) => f.id).sort();
    await first.stop(true);
    await new Promise((r) => setTimeout(r, 1200)); // the outage outlasts the freshness window

    const second = await startTestCollector({ cycles: 1, freshness: '1s', interval: '1m' }, first.dir);
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
