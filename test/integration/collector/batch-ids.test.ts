// Idempotency is keyed on (agent, batch id): batch ids are the agents' own, so two agents may
// pick the same one. Agent B's batch under an id agent A used is stored as B's, not answered with
// A's stored answer as a replay (which silently dropped it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postBatch, startTestCollector, type TestCollector } from './harness.js';

const LOOP = '127.0.0.1';

describe('batch ids per agent', () => {
  let c: TestCollector;
  let tokenB: string;
  beforeAll(async () => {
    c = await startTestCollector();
    const now = new Date().toISOString();
    tokenB = (await c.running.store.createToken({ name: 'agent-2', role: 'agent', now })).token;
  });
  afterAll(async () => {
    await c.stop();
  });

  it("stores agent B's batch under an id agent A used, and replays each agent's own repeat", async () => {
    const open = (port: number) => [{ host: LOOP, ip: LOOP, port, state: 'open' as const }];
    const a = await postBatch(c.url, c.tokens.agent, { id: 'shared-1', obs: open(5433) });
    expect(a.status).toBe(200);
    const b = await postBatch(c.url, tokenB, { id: 'shared-1', agent: 'agent-2', obs: open(5434) });
    expect(b.status).toBe(200);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(await b.json()).toMatchObject({ batchId: 'shared-1', agent: 'agent-2', observations: 1 });
    const agents = await c.running.store.agents();
    expect(agents.map((x) => [x.name, x.batches, x.observations])).toEqual([
      ['agent-1', 1, 1],
      ['agent-2', 1, 1],
    ]);
    const rows = (await c.running.store.observations()).map((o) => [o.agent, o.port]);
    expect(rows.sort()).toEqual([
      ['agent-1', 5433],
      ['agent-2', 5434],
    ]);
    // Each agent's own resend is still a replay: stored once, answered with its first answer.
    const again = await postBatch(c.url, tokenB, { id: 'shared-1', agent: 'agent-2', obs: open(5434) });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toMatchObject({ agent: 'agent-2' });
    expect((await c.running.store.agents()).find((x) => x.name === 'agent-2')!.batches).toBe(1);
  });
});
