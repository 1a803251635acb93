// A confirmed sweep (the agent saw a declared port change and an immediate re-probe saw it again)
// opens the host's finding in the evaluation after the batch, with a long interval and two
// damping cycles; the same batch without the flag leaves it pending, as the damping says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, postBatch, startTestCollector, type TestCollector } from './harness.js';

const LOOP = '127.0.0.1';
const sweep = { host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' };
const obs = [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' as const }];

describe('confirmed sweeps skip the damping', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector({ interval: '10m', cycles: 2 });
  });
  afterAll(async () => {
    await c.stop();
  });
  const moved = async () =>
    (await (await get(c.url, '/v1/findings?kind=moved', c.tokens.reader)).json()).findings as Array<{
      port: number;
      observedPort: number;
    }>;

  it(
    'an unconfirmed batch leaves the move pending; a confirmed ' +
      'one lists it at once; a confirmed fix resolves it at once',
    async () => {
      expect((await postBatch(c.url, c.tokens.agent, { id: 'u1', sweeps: [sweep], obs })).status).toBe(200);
      await c.running.collector.idle();
      expect(await moved()).toEqual([]);
      expect(
        (await postBatch(c.url, c.tokens.agent, { id: 'c1', sweeps: [{ ...sweep, confirmed: true }], obs })).status,
      ).toBe(200);
      await c.running.collector.idle();
      expect((await moved()).map((f) => [f.port, f.observedPort])).toEqual([[5432, 5433]]);
      const back = { ...sweep, closed: '5422-5431,5433-5442', confirmed: true as const };
      expect(
        (await postBatch(c.url, c.tokens.agent, { id: 'c2', sweeps: [back], obs: [{ ...obs[0]!, port: 5432 }] }))
          .status,
      ).toBe(200);
      await c.running.collector.idle();
      expect(await moved()).toEqual([]);
      const h = await c.running.store.history({});
      expect(h.filter((x) => x.kind === 'moved').map((x) => x.event)).toEqual(['opened', 'resolved']);
    },
  );
});
