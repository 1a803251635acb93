// Time to detect, end to end: a real agent (the probe engine) and a real collector at its default
// interval (5m) and damping (2 cycles) in a lab namespace. The agent's check of the declared
// ports (--check-interval 1s here) sees the service leave 5432, re-probes the host with its
// discovery set at once, and sends the sweep `confirmed`; the collector lists `moved` within
// seconds, long before its first damping cycle (5 minutes away) could have opened it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab, type Listener } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  clientAddress,
  createToken,
  killAll,
  portdrift,
  short,
  startCollector,
  waitForDrift,
  writeFixture,
} from './harness.js';

const skip = labSkipReason();

describe.skipIf(skip)(`time to detect${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let db: Listener;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-agent-ttd-'));
    lab = await createLab({ hosts: 1 });
    db = await lab.listen(['10.231.0.1:5432']);
  });

  afterAll(async () => {
    await killAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'a moved service is listed seconds after the move, ' +
      'confirmed by the re-probe, without waiting for damping cycles',
    async () => {
      const data = join(dir, 'pd.db');
      const iac = writeFixture(dir, [{ type: 'aws_db_instance', name: 'orders', port: 5432, hosts: ['10.231.0.1'] }]);
      const agentToken = createToken(data, 'agent', 'subnet-a');
      const reader = createToken(data, 'reader', 'tests');
      // The collector's defaults: interval 5m, cycles 2, checkInterval 15s, debounce 2s.
      const collector = await startCollector(lab.client, clientAddress(lab.client), [...iac, '--data', data]);
      const agent = portdrift(
        'agent',
        lab.client,
        [
          'agent',
          '--collector',
          collector.url,
          '--name',
          'subnet-a',
          '--scope',
          '10.231.0.0/24',
          '--check-interval',
          '1s',
        ],
        { PORTDRIFT_TOKEN: agentToken },
      );
      await agent.waitForLog('sweep done', 20_000);
      await waitForDrift(
        lab.client,
        collector.url,
        reader,
        'the endpoint observed',
        (d) => (d.summary as { observed?: number }).observed === 1,
        20_000,
      );

      // The new listener is up before the old one stops (as in a blue/green move): a listener
      // that took longer to start than the re-probe (a loaded machine spawning it) would make
      // the re-probe see neither port, and the move wait for the next sweep.
      await lab.listen(['10.231.0.1:5433']);
      const t0 = Date.now();
      await db.stop();
      const d = await waitForDrift(
        lab.client,
        collector.url,
        reader,
        'the moved finding',
        (x) => x.findings.some((f) => f.kind === 'moved'),
        20_000,
      );
      const took = Date.now() - t0;
      expect(d.findings.map(short)).toEqual(['moved aws_db_instance.orders 10.231.0.1:5432→5433 by subnet-a']);
      // The check (≤ 1 s), the re-probe, the delivery and the collector's debounce (2 s).
      expect(took).toBeLessThan(15_000);
      const confirmed = agent.messages('declared port changed, confirmed by an immediate re-probe; sent at once');
      expect(confirmed.map((l) => l.hosts)).toEqual([['10.231.0.1']]);
      // One sweep only: the move was found between sweeps, not by the next one (5 minutes away).
      expect(agent.messages('sweep done')).toHaveLength(1);
    },
  );
});
