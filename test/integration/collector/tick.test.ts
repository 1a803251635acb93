// The interval tick drives the damping on its own: with interval 1s and cycles 2, a moved port
// seen by one batch is listed within a few ticks, without anyone forcing an evaluation, and not
// on the evaluation right after the batch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, postBatch, startTestCollector, type TestCollector } from './harness.js';

const LOOP = '127.0.0.1';

describe('interval tick', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector({ interval: '1s', cycles: 2 });
  });
  afterAll(async () => {
    await c.stop();
  });

  it('opens a finding after two ticks', async () => {
    await postBatch(c.url, c.tokens.agent, {
      id: 't1',
      sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' }],
      obs: [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' }],
    });
    await c.running.collector.idle();
    const moved = async () =>
      (await (await get(c.url, '/v1/findings?kind=moved', c.tokens.reader)).json()).findings.length as number;
    const t0 = Date.now();
    expect(await moved()).toBe(0);
    while ((await moved()) === 0 && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 100));
    expect(await moved()).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });
});
