// The agent's own transport and batch builder (agent/daemon) against a real collector: the two
// sides of the wire format agree — plan with ETag → unchanged, a batch built by buildBatch is
// accepted, its resend is accepted without being stored twice, a poison batch is rejected for
// good, a revoked token keeps the batch spooled (an error, not a rejection).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatch } from '../../../agent/daemon/batch.js';
import { CollectorClient } from '../../../agent/daemon/transport.js';
import { silentLogger } from '../../../shared/log.js';
import type { ProbeResult } from '../../../shared/types.js';
import { startTestCollector, type TestCollector } from './harness.js';

describe("the agent's transport against a real collector", () => {
  let c: TestCollector;
  let client: CollectorClient;
  beforeAll(async () => {
    c = await startTestCollector();
    client = new CollectorClient({
      url: c.url,
      token: c.tokens.agent,
      userAgent: 'portdrift-agent/test',
      logger: silentLogger(),
      attempts: 1,
    });
  });
  afterAll(async () => {
    await client.close();
    await c.stop();
  });

  it('plan → unchanged on the second ask; batch accepted once; poison rejected', async () => {
    const first = await client.getPlan(null, ['127.0.0.0/8']);
    expect(first.kind).toBe('plan');
    if (first.kind !== 'plan') return;
    expect(first.plan.targets.map((t) => t.host)).toEqual(['127.0.0.1']);
    expect(await client.getPlan(first.etag, ['127.0.0.0/8'])).toEqual({ kind: 'unchanged' });

    const at = new Date().toISOString();
    const records = buildBatch({
      batchId: 'agent-b1',
      agent: 'agent-1',
      agentVersion: '0.1.0',
      planRevision: first.plan.revision,
      startedAt: at,
      finishedAt: at,
      sweeps: [
        {
          host: '127.0.0.1',
          ip: '127.0.0.1',
          ports: [5430, 5431, 5432, 5433],
          results: ([5430, 5431, 5432, 5433] as const).map(
            (port): ProbeResult => ({
              host: '127.0.0.1',
              ip: '127.0.0.1',
              port,
              state: port === 5433 ? 'open' : 'closed',
              rttMs: 0.1,
              attempts: 1,
            }),
          ),
        },
      ],
      listeners: [{ t: 'listener', ip: '0.0.0.0', port: 5433, at }],
    });
    const body = `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
    expect(await client.sendBatch('agent-b1', body)).toEqual({ kind: 'accepted', status: 200 });
    expect(await client.sendBatch('agent-b1', body)).toEqual({ kind: 'accepted', status: 200 });
    const [agent] = await c.running.store.agents();
    expect(agent).toMatchObject({ batches: 1, observations: 1, planRevision: first.plan.revision, listeners: 1 });
    expect((await c.running.store.sweeps()).map((s) => s.closed)).toEqual(['5430-5432']);

    const poison = await client.sendBatch(
      'agent-b2',
      body.replace('"port":5433,"state":"open"', '"port":99999,"state":"open"').replace(/agent-b1/, 'agent-b2'),
    );
    expect(poison).toMatchObject({ kind: 'rejected', status: 400, code: 'PD_WIRE_INVALID' });

    await c.running.store.revokeToken('agent-1', new Date().toISOString());
    await expect(client.sendBatch('agent-b3', body.replace(/agent-b1/, 'agent-b3'))).rejects.toMatchObject({
      code: 'PD_COLLECTOR_RESPONSE',
    });
  });
});
