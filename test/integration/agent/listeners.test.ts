// `--listeners`: an agent also reports the LISTEN sockets of its own network namespace, read from
// /proc/net/tcp{,6}, loopback-only binds included — here the lab's server namespace, where
// nothing listens but what the test starts. The collector keeps the agent's latest view, and
// shows the agent late once it stops sending.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../collector/store/sqlite-driver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab, type Listener } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  clientAddress,
  createToken,
  killAll,
  portdrift,
  query,
  startCollector,
  writeFixture,
  type Collector,
  type Proc,
} from './harness.js';

const skip = labSkipReason();

describe.skipIf(skip)(`agent --listeners${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let data: string;
  let collector: Collector;
  let agent: Proc;
  let reader: string;
  let db: Database;
  let loopbackOnly: Listener;
  let last: Listener;

  /** The collector's listener rows for the agent, after `sweeps` more sweeps than now. */
  async function listenersAfter(sweeps: number): Promise<string[]> {
    const n = agent.messages('sweep done').length;
    await agent.waitForLog('sweep done', 20_000, n + sweeps);
    // The batch of that sweep is delivered right after it is logged: give it a moment.
    await agent.waitFor(
      'the batch delivered',
      () =>
        (
          db.prepare("SELECT last_batch_id FROM agents WHERE name = 'subnet-b'").get() as
            | { last_batch_id: string }
            | undefined
        )?.last_batch_id === (agent.messages('sweep done').at(-1) as { batchId: string }).batchId || undefined,
      10_000,
    );
    return (
      db.prepare("SELECT ip, port FROM listeners WHERE agent = 'subnet-b' ORDER BY ip, port").all() as Array<{
        ip: string;
        port: number;
      }>
    ).map((r) => `${r.ip}:${r.port}`);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-agent-listeners-'));
    lab = await createLab({ hosts: 1 });
    data = join(dir, 'pd.db');
    const iac = writeFixture(dir, [{ type: 'aws_db_instance', name: 'orders', port: 5432, hosts: ['10.231.0.1'] }]);
    last = await lab.listen(['10.231.0.1:5432']);
    loopbackOnly = await lab.server.listen(['127.0.0.1:6379']);
    const token = createToken(data, 'agent', 'subnet-b');
    reader = createToken(data, 'reader', 'tests');
    collector = await startCollector(lab.client, clientAddress(lab.client), [
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
      '30s',
    ]);
    agent = portdrift(
      'agent subnet-b',
      lab.server,
      [
        'agent',
        '--collector',
        collector.url,
        '--name',
        'subnet-b',
        '--scope',
        '10.231.0.0/24',
        '--interval',
        '500ms',
        '--listeners',
      ],
      { PORTDRIFT_TOKEN: token },
    );
    db = new Database(data, { readonly: true, fileMustExist: true });
  });

  afterAll(async () => {
    db?.close();
    await killAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reports exactly the namespace's LISTEN sockets, the loopback-only one included", async () => {
    expect(await listenersAfter(1)).toEqual(['10.231.0.1:5432', '127.0.0.1:6379']);
    const r = await query(lab.client, ['agents', '--collector', collector.url, '--token', reader, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { agents: Array<{ name: string; listeners: number }> }).agents).toEqual([
      expect.objectContaining({ name: 'subnet-b', listeners: 2 }),
    ]);
  });

  it("a listener that goes away leaves the collector's view at the next sweep", async () => {
    await loopbackOnly.stop();
    expect(await listenersAfter(2)).toEqual(['10.231.0.1:5432']);
  });

  it("when the last listener goes away, the collector's view becomes empty (header listenerView)", async () => {
    await last.stop();
    expect(await listenersAfter(2)).toEqual([]);
    const r = await query(lab.client, ['agents', '--collector', collector.url, '--token', reader, '--format', 'json']);
    expect((JSON.parse(r.stdout) as { agents: Array<{ listeners: number }> }).agents[0]!.listeners).toBe(0);
  });

  it('an agent that stops is shown late after three intervals without a batch', async () => {
    agent.signal('SIGTERM');
    expect((await agent.waitExit(10_000)).code).toBe(0);
    const stoppedAt = Date.now();
    let late = false;
    while (!late) {
      const r = await query(lab.client, [
        'agents',
        '--collector',
        collector.url,
        '--token',
        reader,
        '--format',
        'json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      late = (JSON.parse(r.stdout) as { agents: Array<{ late: boolean }> }).agents[0]!.late;
      if (!late)
        expect(Date.now() - stoppedAt, 'late within 3 × the 1 s plan interval, plus a margin').toBeLessThan(10_000);
    }
    expect(Date.now() - stoppedAt, 'not before ~3 intervals').toBeGreaterThan(2_000);
  });
});
