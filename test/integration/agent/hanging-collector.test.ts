// A collector that takes connections and requests but never answers a batch: each delivery is
// still inside the transport's retries when the agent's cycle ends. The outage must still be
// logged once (not only as plan trouble), sweeps must go on, nothing may be lost, and stop
// must not hang.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { Proc, clientAddress, killAll, portdrift } from './harness.js';

const skip = labSkipReason();
const FAKE = join(import.meta.dirname, 'fake-collector.mjs');

describe.skipIf(skip)(`agent against a collector that never answers${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-agent-hang-'));
    lab = await createLab({ hosts: 1 });
  });

  afterAll(async () => {
    await killAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'an unanswered delivery that outlives the cycle logs ' +
      '"collector not taking batches" once; the batches stay spooled',
    async () => {
      const client = clientAddress(lab.client);
      const planFile = join(dir, 'plan.json');
      writeFileSync(
        planFile,
        JSON.stringify({
          version: 1,
          agent: 'subnet-a',
          revision: 'r1',
          intervalMs: 3000,
          targets: [{ host: '10.231.0.1', declared: [22], discovery: '', resources: ['aws_instance.a'] }],
        }),
      );
      const fake = new Proc('hanging collector', lab.client, [FAKE, client, planFile], { FAKE_HANG_BATCHES: '1' });
      const url = await fake.waitFor('"listening on"', () => /listening on (http\S+)/.exec(fake.stderr)?.[1], 10_000);
      const spool = join(dir, 'spool');
      const agent = portdrift('agent', lab.client, [
        'agent',
        '--collector',
        url,
        '--token',
        'x',
        '--name',
        'subnet-a',
        '--scope',
        '10.231.0.0/28',
        // 3 s: a send counts as an outage only once it ran 2 s without an answer (deliver.ts).
        '--interval',
        '3s',
        // The stop's flush to a collector that never answers ends at this bound (default 5 s).
        '--flush-timeout',
        '1s',
        '--spool',
        spool,
      ]);

      const down = await agent.waitForLog('collector not taking batches; keeping them in the spool', 20_000);
      expect(down.err).toBe('no delivery before the next cycle');
      // Sweeps go on while every delivery hangs (with AbortSignal.any + timeout they stopped here).
      await agent.waitForLog('sweep done', 20_000, 4);
      expect(
        agent.messages('collector not taking batches; keeping them in the spool'),
        'logged once per outage',
      ).toHaveLength(1);
      expect(agent.messages('collector is back; delivering the spool')).toEqual([]);
      agent.signal('SIGTERM');
      expect((await agent.waitExit(15_000)).code).toBe(0);
      const stopped = agent.messages('agent stopped')[0]!;
      expect(stopped).toMatchObject({ flushed: false, delivered: 0, dropped: 0 });
      expect(stopped.spoolDepth as number).toBeGreaterThanOrEqual(4);
      fake.signal('SIGTERM');
      await fake.waitExit(5_000);
    },
  );
});
