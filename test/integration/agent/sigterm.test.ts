// SIGTERM in the middle of a big sweep (collector --discovery all: every port of every host,
// most of them DROPped so each probe waits for its timeout, with a small --concurrency, so one
// sweep would take minutes): the agent stops within a few seconds and loses nothing.
//  - collector up: the partial sweep's batch is delivered before the exit; it holds the
//    declared port found first, and no port that was never probed is claimed closed;
//  - collector down: the batch stays in the --spool directory, and the next start delivers it,
//    exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../collector/store/sqlite-driver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { parsePortSpec } from '../../../shared/ports.js';
import {
  clientAddress,
  createToken,
  killAll,
  portdrift,
  restartCollector,
  sleep,
  spooled,
  startCollector,
  writeFixture,
  type LogLine,
  type Proc,
} from './harness.js';

const skip = labSkipReason();
const HOSTS = ['10.231.0.1', '10.231.0.2', '10.231.0.3', '10.231.0.4'];

interface SweepDone extends LogLine {
  batchId: string;
  summary: { probes: number; open: number; closed: number; filtered: number };
}

describe.skipIf(skip)(`agent stopped mid-sweep${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let host: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-agent-sigterm-'));
    lab = await createLab({ hosts: HOSTS.length });
    host = clientAddress(lab.client);
    // Each host declares 5432, which listens; every port from 10000 up is silently dropped.
    await lab.listen(HOSTS.map((ip) => `${ip}:5432`));
    lab.drop(10000, 65535);
  });

  afterAll(async () => {
    await killAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function setup(name: string) {
    const run = mkdtempSync(join(dir, `${name}-`));
    const data = join(run, 'pd.db');
    const iac = writeFixture(
      run,
      HOSTS.map((ip, i) => ({ type: 'aws_db_instance' as const, name: `db${i}`, port: 5432, hosts: [ip] })),
    );
    return {
      run,
      data,
      spool: join(run, 'spool'),
      flags: [...iac, '--data', data, '--interval', '5m', '--cycles', '1', '--debounce', '100ms', '--discovery', 'all'],
      agentToken: createToken(data, 'agent', 'subnet-a'),
    };
  }

  function startAgent(label: string, url: string, token: string, spool: string, extra: string[] = []): Proc {
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
        '--concurrency',
        '128',
        '--timeout',
        '1s',
        '--stop-grace',
        '1s',
        '--flush-timeout',
        '2s',
        '--spool',
        spool,
        ...extra,
      ],
      { PORTDRIFT_TOKEN: token },
    );
  }

  it(
    'collector up: exits within a few seconds, the partial ' + 'batch delivered, unprobed ports not claimed closed',
    async () => {
      const s = setup('up');
      const collector = await startCollector(lab.client, host, s.flags);
      const agent = startAgent('agent', collector.url, s.agentToken, s.spool);
      await agent.waitForLog('new plan', 20_000);
      await sleep(1500); // well inside a sweep of 4 × 65535 ports, most of them filtered
      expect(agent.messages('sweep done'), 'the big sweep is still running').toEqual([]);
      const termAt = Date.now();
      agent.signal('SIGTERM');
      const exit = await agent.waitExit(15_000);
      const tookMs = exit.at - termAt;
      expect(exit.code, agent.stderr.slice(-2000)).toBe(0);
      expect(tookMs, 'stop grace 1s + a prompt flush').toBeLessThan(5_000);

      const done = agent.messages('sweep done') as SweepDone[];
      expect(done).toHaveLength(1);
      const { batchId, summary } = done[0]!;
      expect(summary.probes, 'an aborted sweep: far fewer than 4 × 65535 probes').toBeLessThan(HOSTS.length * 65535);
      expect(summary.open, 'every declared 5432 (probed first)').toBe(HOSTS.length);
      expect(agent.messages('agent stopped')[0]).toMatchObject({ spoolDepth: 0, flushed: true, dropped: 0 });
      expect(agent.messages('the sweep did not stop when aborted; its results are lost')).toEqual([]);
      expect(spooled(s.spool)).toEqual([]);

      collector.proc.signal('SIGTERM');
      await collector.proc.waitExit(10_000);
      const db = new Database(s.data, { readonly: true, fileMustExist: true });
      try {
        expect(db.prepare('SELECT batch_id FROM batches').all()).toEqual([{ batch_id: batchId }]);
        const open = db.prepare("SELECT ip, port FROM current_state WHERE state = 'open' ORDER BY ip").all();
        expect(open).toEqual(HOSTS.map((ip) => ({ ip, port: 5432 })));
        // Ports below 10000 answer at once (RST or open): a probe cut short by the abort must not
        // come back as filtered.
        const wrongFiltered = db
          .prepare("SELECT ip, port FROM current_state WHERE state = 'filtered' AND port < 10000")
          .all();
        expect(wrongFiltered).toEqual([]);
        const sweeps = db.prepare('SELECT ip, ports, closed FROM sweeps ORDER BY ip').all() as Array<{
          ip: string;
          ports: string;
          closed: string;
        }>;
        for (const sw of sweeps) {
          // Ports 10000+ are dropped: none of them may be claimed closed, probed or not.
          const closed = parsePortSpec(sw.closed || '');
          expect(
            closed.filter((p) => p >= 10000),
            `${sw.ip} closed ports ≥ 10000`,
          ).toEqual([]);
          expect(parsePortSpec(sw.ports).length, `${sw.ip}: only what was probed is listed`).toBeLessThan(65535);
        }
      } finally {
        db.close();
      }
    },
  );

  it(
    'collector down: exits within a few seconds with the batch ' +
      'kept in the spool; the next start delivers it exactly once',
    async () => {
      const s = setup('down');
      let collector = await startCollector(lab.client, host, s.flags, 'collector (first run)');
      const first = startAgent('agent (first run)', collector.url, s.agentToken, s.spool);
      await first.waitForLog('new plan', 20_000);
      collector.proc.kill();
      await collector.proc.waitExit(5_000);
      await sleep(1000);
      expect(first.messages('sweep done'), 'the big sweep is still running').toEqual([]);
      const termAt = Date.now();
      first.signal('SIGTERM');
      const exit = await first.waitExit(15_000);
      expect(exit.code, first.stderr.slice(-2000)).toBe(0);
      expect(exit.at - termAt, 'stop grace 1s + flush timeout 2s + a margin').toBeLessThan(6_000);
      const done = first.messages('sweep done') as SweepDone[];
      expect(done).toHaveLength(1);
      const { batchId, summary } = done[0]!;
      expect(summary.open).toBe(HOSTS.length);
      expect(first.messages('agent stopped')[0]).toMatchObject({ spoolDepth: 1, flushed: false, dropped: 0 });
      const files = spooled(s.spool);
      expect(files).toHaveLength(1);
      expect(files[0]).toContain(batchId);

      // The next start, with the collector back: the spooled batch is delivered beside the first
      // (big) sweep, not after it; then this run is stopped in its sweep and its stop delivers its own.
      collector = await restartCollector(lab.client, collector.url, s.flags, 'collector (restarted)');
      const second = startAgent('agent (second run)', collector.url, s.agentToken, s.spool);
      await second.waitForLog('using the cached plan until the collector answers', 20_000);
      const deliveredBy = Date.now() + 10_000;
      let delivered = false;
      while (!delivered && Date.now() < deliveredBy) {
        const peek = new Database(s.data, { readonly: true, fileMustExist: true });
        try {
          delivered = peek.prepare('SELECT 1 FROM batches WHERE batch_id = ?').get(batchId) !== undefined;
        } finally {
          peek.close();
        }
        if (!delivered) await sleep(200);
      }
      expect(delivered, 'the spooled batch arrives while the first sweep runs').toBe(true);
      expect(second.messages('sweep done'), 'the big sweep is still running').toEqual([]);
      const termAt2 = Date.now();
      second.signal('SIGTERM');
      const exit2 = await second.waitExit(15_000);
      expect(exit2.code, second.stderr.slice(-2000)).toBe(0);
      expect(exit2.at - termAt2).toBeLessThan(5_000);
      expect(second.messages('agent stopped')[0]).toMatchObject({ spoolDepth: 0, flushed: true, dropped: 0 });
      const secondBatch = (second.messages('sweep done') as SweepDone[]).map((l) => l.batchId);
      collector.proc.signal('SIGTERM');
      await collector.proc.waitExit(10_000);

      const db = new Database(s.data, { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare('SELECT batch_id, answer FROM batches ORDER BY received_at').all() as Array<{
          batch_id: string;
          answer: string;
        }>;
        expect(rows.map((r) => r.batch_id)).toEqual([batchId, ...secondBatch]);
        const answer = JSON.parse(rows[0]!.answer) as { observations: number };
        expect(answer.observations).toBe(summary.open + summary.filtered);
        expect(db.prepare("SELECT batches FROM agents WHERE name = 'subnet-a'").get()).toEqual({
          batches: 1 + secondBatch.length,
        });
      } finally {
        db.close();
      }
    },
  );

  it('a second SIGTERM exits at once (130)', async () => {
    const s = setup('twice');
    const collector = await startCollector(lab.client, host, s.flags);
    const agent = startAgent('agent', collector.url, s.agentToken, s.spool, ['--stop-grace', '30s']);
    await agent.waitForLog('new plan', 20_000);
    await sleep(500);
    agent.signal('SIGTERM');
    await sleep(300);
    expect(agent.exit, 'still in its 30 s stop grace').toBeNull();
    const secondAt = Date.now();
    agent.signal('SIGTERM');
    const exit = await agent.waitExit(10_000);
    expect(exit.code).toBe(130);
    expect(exit.at - secondAt).toBeLessThan(1_500);
    collector.proc.signal('SIGTERM');
    await collector.proc.waitExit(10_000);
  });
});
