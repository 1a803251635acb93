// An agent never stalls on the collector's limits, through a real collector and a real agent:
//  - the token's scope narrower than the agent's --scope, and a plan host name ("localhost")
//    that resolves inside the agent's scope but outside the token's: the plan carries the
//    token's scope, the agent skips that address (logged, not one SYN at the listener there),
//    and every batch is accepted (before, the collector refused each batch 403 and the agent
//    kept it in its spool, so no batch was ever delivered again);
//  - a sweep larger than the collector's batch limit (thousands of filtered ports): the agent
//    splits it below its own --max-batch-bytes, every batch is accepted (no 413) and every
//    observation is stored exactly once.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../../../collector/store/sqlite-driver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { closeLab, createToken, openLab, portdrift, startCollector, writeFixture } from './harness.js';
import { IPV6, SKIPPED, nameOutsideScope } from './name-outside-scope.js';

const skip = labSkipReason();
const REJECTED = 'collector rejected a batch; dropped';
const STALLED = 'collector not taking batches; keeping them in the spool';

describe.skipIf(skip)(`agent and the collector's limits${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let client: string;

  beforeAll(async () => ({ lab, dir, client } = await openLab('pd-agent-limits-', 4)));
  afterAll(() => closeLab(lab, dir));

  it("probes only inside its token's scope too: the host outside gets no SYN, every batch is accepted", async () => {
    const data = join(dir, 'scope.db');
    const { iac, loop4, loop6, inScope } = await nameOutsideScope(lab, dir);
    // The token may report on the lab's subnet only; the agent's own scope also holds loopback.
    const agentToken = createToken(data, 'agent', 'subnet-a', '10.231.0.0/28');
    const collectorArgs = [...iac, '--data', data, '--interval', '1s', '--debounce', '100ms'];
    const collector = await startCollector(lab.client, client, collectorArgs);
    const scope = ['10.231.0.0/28', '127.0.0.0/8', ...(IPV6 ? ['::1/128'] : [])].flatMap((c) => ['--scope', c]);
    const args = ['agent', '--collector', collector.url, '--name', 'subnet-a', ...scope, '--interval', '700ms'];
    const agent = portdrift('agent', lab.client, args, { PORTDRIFT_TOKEN: agentToken });

    const skipped = await agent.waitForLog(SKIPPED, 20_000, 1, (l) => l.host === 'localhost');
    expect(skipped).toMatchObject({ host: 'localhost', reason: "outside the agent token's scope (10.231.0.0/28)" });
    await agent.waitForLog('sweep done', 20_000, 3);
    agent.signal('SIGTERM');
    const stopped = await agent.waitForLog('agent stopped', 10_000);
    expect((await agent.waitExit(10_000)).code).toBe(0);
    collector.proc.signal('SIGTERM');
    await collector.proc.waitExit(10_000);

    const clean = { rejected: 0, spoolDepth: 0, flushed: true };
    expect(stopped, 'every batch delivered, none refused, none left').toMatchObject(clean);
    expect(stopped.delivered).toBeGreaterThanOrEqual(3);
    expect(agent.messages(REJECTED)).toEqual([]);
    expect(agent.messages(STALLED)).toEqual([]);
    expect(inScope(), 'the in-scope host was probed').toBeGreaterThan(0);
    expect(loop4(), 'SYNs to 127.0.0.1:8080').toBe(0);
    expect(loop6(), 'SYNs to [::1]:8080').toBe(0);
    const db = new Database(data, { readonly: true });
    try {
      const n = (sql: string) => (db.prepare(sql).get('subnet-a') as { n: number }).n;
      expect(n('SELECT count(*) AS n FROM batches WHERE agent = ?')).toBe(stopped.delivered);
      expect(n("SELECT count(*) AS n FROM current_state WHERE agent = ? AND ip NOT LIKE '10.231.0.%'")).toBe(0);
      const open = "SELECT count(*) AS n FROM current_state WHERE agent = ? AND port = 5432 AND state = 'open'";
      expect(n(open)).toBe(1);
    } finally {
      db.close();
    }
  });

  it("splits a sweep over the collector's batch limit: no 413, every observation stored once", async () => {
    const data = join(dir, 'split.db');
    const sub = mkdtempSync(join(dir, 'split-'));
    const iac = writeFixture(sub, [{ type: 'aws_db_instance', name: 'big', port: 5432, hosts: ['10.231.0.2'] }]);
    await lab.listen(['10.231.0.2:5432']);
    // 2000 discovery ports that never answer: each one is an obs record (filtered).
    lab.drop(1, 2000, { ip: '10.231.0.2' });
    const agentToken = createToken(data, 'agent', 'big-sweep', '10.231.0.0/28');
    const collector = await startCollector(lab.client, client, [
      ...iac,
      '--data',
      data,
      '--interval',
      '60s',
      '--discovery',
      '1-2000',
      '--neighbourhood',
      '0',
      '--max-batch-bytes',
      String(64 * 1024),
    ]);
    const agent = portdrift(
      'agent',
      lab.client,
      [
        'agent',
        '--collector',
        collector.url,
        '--name',
        'big-sweep',
        '--scope',
        '10.231.0.0/28',
        '--interval',
        '60s',
        '--timeout',
        '300ms',
        '--retries',
        '0',
        '--max-batch-bytes',
        String(32 * 1024),
      ],
      { PORTDRIFT_TOKEN: agentToken },
    );

    const done = await agent.waitForLog('sweep done', 60_000);
    const batches = done.batches as number;
    expect(batches, 'the sweep went out as several batches').toBeGreaterThanOrEqual(6);
    expect(done.summary).toMatchObject({ open: 1, filtered: 2000 });
    // Delivered while the agent sleeps to its next cycle; SIGTERM's flush would take the rest.
    agent.signal('SIGTERM');
    const stopped = await agent.waitForLog('agent stopped', 15_000);
    expect((await agent.waitExit(10_000)).code).toBe(0);
    collector.proc.signal('SIGTERM');
    await collector.proc.waitExit(10_000);

    expect(stopped).toMatchObject({ delivered: batches, rejected: 0, dropped: 0, spoolDepth: 0 });
    expect(agent.messages(REJECTED)).toEqual([]);
    const db = new Database(data, { readonly: true });
    try {
      const rows = db.prepare('SELECT answer FROM batches WHERE agent = ?').all('big-sweep') as { answer: string }[];
      const answers = rows.map((r) => JSON.parse(r.answer) as { observations: number; sweeps: number });
      expect(answers).toHaveLength(batches);
      // Exactly once: the batches' stored counts add up to the sweep's results, each stored once.
      expect(answers.reduce((n, a) => n + a.observations, 0)).toBe(2001);
      expect(answers.reduce((n, a) => n + a.sweeps, 0)).toBe(1);
      const sql = 'SELECT count(*) AS n, count(DISTINCT port) AS ports FROM current_state WHERE agent = ?';
      const state = db.prepare(sql).get('big-sweep');
      expect(state).toEqual({ n: 2001, ports: 2001 });
    } finally {
      db.close();
    }
  });
});
