// The store cannot be filled without bound by an agent token: records of hosts that no IaC names
// are dropped (counted, and said in the answer), each agent's rows are capped, and rows older
// than `retention` are pruned on the interval tick. Real collector, real HTTP, real SQLite file.
import { afterEach, describe, expect, it } from 'vitest';
import { get, postBatch, startTestCollector, type TestCollector } from './harness.js';

const LOOP = '127.0.0.1';
const metric = async (c: TestCollector, name: string): Promise<number> => {
  const text = await (await get(c.url, '/metrics', c.tokens.reader)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no metric ${name}`);
  return Number(m[1]);
};

describe('store bounds', () => {
  let c: TestCollector | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('drops the records of hosts outside the model, counts them and says so in the answer', async () => {
    c = await startTestCollector();
    // What the review sent: made-up hosts with long names, thousands of them.
    const long = 'x'.repeat(900);
    const record = (host: string, port: number) => ({ host, ip: LOOP, port, state: 'open' as const });
    const obs = [...Array.from({ length: 2000 }, (_, i) => record(`h${i}-${long}`, 22)), record(LOOP, 5433)];
    const sweeps = [{ host: 'nowhere.example', ip: LOOP, ports: '22', closed: '' }];
    for (const id of ['fake-1', 'fake-2']) {
      const r = await postBatch(c.url, c.tokens.agent, { id, obs, sweeps });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ observations: 1, sweeps: 0, outsideModel: 2001 });
    }
    expect((await c.running.store.observations()).map((o) => o.host)).toEqual([LOOP]);
    expect(await c.running.store.sweeps()).toEqual([]);
    expect(await metric(c, 'portdrift_store_current_observations')).toBe(1);
    expect(await metric(c, 'portdrift_ingest_outside_model_records_total')).toBe(4002);
  });

  it("caps each agent's rows: new rows past the cap are not stored (counted), known rows still update", async () => {
    c = await startTestCollector({ maxRowsPerAgent: 1000 });
    const at1 = new Date(Date.now() - 60_000).toISOString();
    const ports = (n: number, state: 'open' | 'filtered' = 'filtered') =>
      Array.from({ length: n }, (_, i) => ({ host: LOOP, ip: LOOP, port: 1 + i, state }));
    const first = await postBatch(c.url, c.tokens.agent, { id: 'cap-1', at: at1, obs: ports(1500) });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ observations: 1000, capped: 500 });
    expect(await metric(c, 'portdrift_store_current_observations')).toBe(1000);
    // The same ports again, now open: the rows the agent has are updated, no new row is added.
    const second = await postBatch(c.url, c.tokens.agent, { id: 'cap-2', obs: ports(1500, 'open') });
    expect(await second.json()).toMatchObject({ observations: 1000, capped: 500 });
    const rows = await c.running.store.observations();
    expect(rows).toHaveLength(1000);
    expect(rows.every((o) => o.state === 'open')).toBe(true);
    expect(await metric(c, 'portdrift_ingest_capped_records_total')).toBe(1000);
  });

  it('prunes rows older than retention on the interval tick', async () => {
    let offset = 0;
    c = await startTestCollector({ interval: '1s', retention: '1h' }, undefined, () => Date.now() + offset);
    const sweeps = [{ host: LOOP, ip: LOOP, ports: '5430-5434', closed: '5430-5432,5434' }];
    const obs = [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' as const }];
    const r = await postBatch(c.url, c.tokens.agent, { id: 'old-1', sweeps, obs });
    expect(r.status).toBe(200);
    expect(await metric(c, 'portdrift_store_current_observations')).toBe(1);
    offset = 2 * 3_600_000;
    const t0 = Date.now();
    while ((await metric(c, 'portdrift_store_current_observations')) > 0 && Date.now() - t0 < 8000) {
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(await metric(c, 'portdrift_store_current_observations')).toBe(0);
    expect(await c.running.store.sweeps()).toEqual([]);
  });
});
