// Lifecycle edges of a deployment: agents started before their collector, and a token revoked
// under a running agent (401: everything stays spooled until the token is fixed; the agent
// restarted with a new token delivers the backlog, exactly once).
import { mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Database } from '../../../collector/store/sqlite-driver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  MAIN,
  ROOT,
  clientAddress,
  closeLab,
  createToken,
  openLab,
  portdrift,
  restartCollector,
  short,
  sleep,
  spooled,
  startCollector,
  waitForDrift,
  writeFixture,
  type LogLine,
  type Proc,
} from './harness.js';

const skip = labSkipReason();

describe.skipIf(skip)(`agent lifecycle${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;

  beforeAll(async () => {
    ({ lab, dir } = await openLab('pd-agent-startup-', 1));
    await lab.listen(['10.231.0.1:5433']);
  });
  afterAll(() => closeLab(lab, dir));

  function setup(name: string) {
    const run = mkdtempSync(join(dir, `${name}-`));
    const data = join(run, 'pd.db');
    const iac = writeFixture(run, [{ type: 'aws_db_instance', name: 'orders', port: 5432, hosts: ['10.231.0.1'] }]);
    return {
      data,
      spool: join(run, 'spool'),
      flags: [...iac, '--data', data, '--interval', '1s', '--cycles', '1', '--debounce', '100ms', '--freshness', '30s'],
    };
  }

  function startAgent(label: string, url: string, token: string, spool: string): Proc {
    return portdrift(
      label,
      lab.client,
      [
        'agent',
        '--collector',
        url,
        '--name',
        'subnet-a',
        '--scope',
        '10.231.0.0/24',
        '--interval',
        '500ms',
        '--flush-timeout',
        '1s',
        '--spool',
        spool,
      ],
      { PORTDRIFT_TOKEN: token },
    );
  }

  it(
    'an agent started before its collector keeps asking ' + 'for a plan and probes as soon as the collector is up',
    async () => {
      const s = setup('early');
      const token = createToken(s.data, 'agent', 'subnet-a');
      const reader = createToken(s.data, 'reader', 'tests');
      // The collector's address is fixed in advance: start one to learn a free port, stop it.
      const probeRun = await startCollector(lab.client, clientAddress(lab.client), s.flags, 'collector (port finder)');
      probeRun.proc.signal('SIGTERM');
      await probeRun.proc.waitExit(10_000);

      const agent = startAgent('agent', probeRun.url, token, s.spool);
      await agent.waitForLog('cannot fetch the plan', 20_000);
      expect(agent.messages('sweep done'), 'no plan, no sweep').toEqual([]);
      const collector = await restartCollector(lab.client, probeRun.url, s.flags, 'collector');
      // From the moment it listens: its own start-up (slow on a loaded machine) is not the agent's backoff.
      const up = Date.now();
      const plan = await agent.waitForLog('new plan', 20_000);
      expect(Date.parse(String(plan.time)) - up, 'the plan retries back off to a few seconds at most').toBeLessThan(
        8_000,
      );
      const d = await waitForDrift(
        lab.client,
        collector.url,
        reader,
        'the moved finding',
        (x) => x.findings.some((f) => f.kind === 'moved'),
        20_000,
      );
      expect(d.findings.map(short)).toEqual(['moved aws_db_instance.orders 10.231.0.1:5432→5433 by subnet-a']);
      agent.signal('SIGTERM');
      expect((await agent.waitExit(10_000)).code).toBe(0);
      collector.proc.signal('SIGTERM');
      await collector.proc.waitExit(10_000);
    },
  );

  it(
    'a revoked token keeps every batch spooled; restarted with ' +
      'a new token, the agent delivers the backlog exactly once',
    async () => {
      const s = setup('revoked');
      const old = createToken(s.data, 'agent', 'subnet-a');
      const collector = await startCollector(lab.client, clientAddress(lab.client), s.flags, 'collector');
      const first = startAgent('agent (old token)', collector.url, old, s.spool);
      await first.waitForLog('sweep done', 20_000, 2);
      await sleep(300);

      const revoke = spawnSync(process.execPath, [MAIN, 'token', 'revoke', '--data', s.data, 'subnet-a'], {
        encoding: 'utf8',
        timeout: 20_000,
        cwd: ROOT,
      });
      expect(revoke.status, revoke.stderr).toBe(0);
      const revokedAt = Date.now();
      const refused = await first.waitForLog('collector not taking batches; keeping them in the spool', 20_000);
      expect(String(refused.err)).toMatch(/401/);
      await first.waitForLog('sweep done', 20_000, 1, (l) => Date.parse(String(l.time)) > revokedAt + 1500);
      first.signal('SIGTERM');
      expect((await first.waitExit(10_000)).code).toBe(0);
      const left = first.messages('agent stopped')[0]!;
      expect(left).toMatchObject({ flushed: false, dropped: 0, rejected: 0 });
      expect(left.spoolDepth).toBeGreaterThanOrEqual(2);
      expect(spooled(s.spool)).toHaveLength(left.spoolDepth as number);

      const fresh = createToken(s.data, 'agent', 'subnet-a');
      const second = startAgent('agent (new token)', collector.url, fresh, s.spool);
      await second.waitForLog('sweep done', 20_000, 1);
      await second.waitFor('an empty spool', () => spooled(s.spool).length === 0 || undefined, 20_000);
      second.signal('SIGTERM');
      expect((await second.waitExit(10_000)).code).toBe(0);
      collector.proc.signal('SIGTERM');
      await collector.proc.waitExit(10_000);

      const made = [...first.messages('sweep done'), ...second.messages('sweep done')] as Array<
        LogLine & { batchId: string }
      >;
      const db = new Database(s.data, { readonly: true, fileMustExist: true });
      try {
        const ids = (
          db.prepare("SELECT batch_id FROM batches WHERE agent = 'subnet-a'").all() as Array<{ batch_id: string }>
        ).map((r) => r.batch_id);
        expect(ids.sort()).toEqual(made.map((l) => l.batchId).sort());
        expect(db.prepare("SELECT batches FROM agents WHERE name = 'subnet-a'").get()).toEqual({
          batches: made.length,
        });
      } finally {
        db.close();
      }
    },
  );
});
