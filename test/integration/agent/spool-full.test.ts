// A bounded spool during a long collector outage: with --spool-max 3, the oldest batches are
// dropped (never the newest), the drops are counted and logged, and when the collector returns
// exactly the batches still spooled arrive, once each; the collector knows how many were lost.
import { join } from 'node:path';
import { Database } from '../../../collector/store/sqlite-driver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  clientAddress,
  closeLab,
  createToken,
  openLab,
  portdrift,
  query,
  restartCollector,
  spooled,
  startCollector,
  writeFixture,
  type LogLine,
} from './harness.js';

const skip = labSkipReason();

describe.skipIf(skip)(`agent with a full spool${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;

  beforeAll(async () => {
    ({ lab, dir } = await openLab('pd-agent-spoolfull-', 1));
    await lab.listen(['10.231.0.1:5432']);
  });
  afterAll(() => closeLab(lab, dir));

  it('drops the oldest batches beyond --spool-max, counts them, and delivers exactly the kept ones once', async () => {
    const data = join(dir, 'pd.db');
    const spool = join(dir, 'spool');
    const iac = writeFixture(dir, [{ type: 'aws_db_instance', name: 'orders', port: 5432, hosts: ['10.231.0.1'] }]);
    const flags = [
      ...iac,
      '--data',
      data,
      '--interval',
      '1s',
      '--cycles',
      '1',
      '--debounce',
      '100ms',
      '--freshness',
      '1m',
    ];
    const token = createToken(data, 'agent', 'subnet-a');
    const reader = createToken(data, 'reader', 'tests');
    let collector = await startCollector(lab.client, clientAddress(lab.client), flags, 'collector (first run)');
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
        '--interval',
        '400ms',
        '--spool-max',
        '3',
        '--spool',
        spool,
      ],
      { PORTDRIFT_TOKEN: token },
    );
    await agent.waitForLog('sweep done', 20_000, 2);
    await agent.waitFor('a delivered batch', () => spooled(spool).length === 0 || undefined, 10_000);

    collector.proc.kill();
    await collector.proc.waitExit(10_000);
    const killedAt = Date.now();
    await agent.waitForLog('sweep done', 20_000, 8, (l) => Date.parse(String(l.time)) > killedAt);
    const full = await agent.waitForLog('spool full: dropped the oldest batches', 5_000);
    expect(full.dropped).toBe(1);
    expect(spooled(spool)).toHaveLength(3);

    collector = await restartCollector(lab.client, collector.url, flags, 'collector (restarted)');
    await agent.waitFor('an empty spool', () => spooled(spool).length === 0 || undefined, 20_000);
    const drops = agent
      .messages('spool full: dropped the oldest batches')
      .reduce((n, l) => n + (l.dropped as number), 0);
    const r = await query(lab.client, ['agents', '--collector', collector.url, '--token', reader, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const seen = (JSON.parse(r.stdout) as { agents: Array<{ name: string; spoolDepth: number; spoolDropped: number }> })
      .agents[0]!;
    agent.signal('SIGTERM');
    expect((await agent.waitExit(10_000)).code).toBe(0);
    const stopped = agent.messages('agent stopped')[0]!;
    expect(stopped.dropped).toBe(drops);
    expect(drops).toBeGreaterThanOrEqual(5);
    collector.proc.signal('SIGTERM');
    await collector.proc.waitExit(10_000);

    const made = (agent.messages('sweep done') as Array<LogLine & { batchId: string }>).map((l) => l.batchId);
    const db = new Database(data, { readonly: true, fileMustExist: true });
    let stored: string[];
    try {
      stored = (
        db.prepare('SELECT batch_id FROM batches ORDER BY received_at, rowid').all() as Array<{ batch_id: string }>
      ).map((r) => r.batch_id);
    } finally {
      db.close();
    }
    // What is missing is the dropped batches, all older than every batch that was kept from the
    // outage: the newest observations matter most. (One dropped batch may still be stored: the
    // one whose POST the collector committed just before SIGKILL took its answer away.)
    const missing = made.filter((id) => !stored.includes(id));
    expect(missing.length).toBeLessThanOrEqual(drops);
    expect(missing.length).toBeGreaterThanOrEqual(drops - 1);
    expect(stored.filter((id) => !made.includes(id))).toEqual([]);
    const lastMissing = made.indexOf(missing.at(-1)!);
    const keptAfterOutage = made.slice(lastMissing + 1);
    expect(keptAfterOutage.every((id) => stored.includes(id))).toBe(true);
    // The agent reports drops not yet reported (cleared once acknowledged); the collector adds
    // them up, so after the drain it still knows how many batches were lost.
    expect(seen).toMatchObject({ name: 'subnet-a', spoolDepth: 0, spoolDropped: drops });
  });
});
