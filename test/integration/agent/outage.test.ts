// The collector goes away for several agent intervals (SIGKILL: no goodbye, nothing flushed)
// and comes back on the same --data file and address. The agent keeps probing on its cached
// plan meanwhile, spooling every batch; when the collector returns the backlog drains, and the
// store then holds every batch the agent made exactly once (batch ids from the agent's log vs
// the batches table, each batch's observation count vs its sweep summary, the agents counters),
// the spool is empty, and the findings are those from before the outage.
import { readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { clientAddress, createToken, drift, killAll, portdrift, restartCollector, short, startCollector, waitForDrift, writeFixture, type Collector, type LogLine, type Proc } from './harness.js';

const skip = labSkipReason();

interface Summary {
  open: number;
  filtered: number;
  unreachable: number;
}

describe.skipIf(skip)(`agent through a collector outage${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-agent-outage-'));
    lab = await createLab({ hosts: 2 });
    await lab.listen(['10.231.0.1:5433', '10.231.0.2:6379']);
    // A filtered discovery port: the batches carry a filtered observation too, not only open ones.
    lab.drop(5440, 5440, { ip: '10.231.0.1' });
  });

  afterAll(async () => {
    await killAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['SIGKILL', 'SIGTERM'] as const)('every batch made while the collector was down (%s) arrives exactly once after its restart, and the findings are unchanged', async (signal) => {
    const run = mkdtempSync(join(dir, `${signal}-`));
    const data = join(run, 'pd.db');
    const spool = join(run, 'spool');
    const iac = writeFixture(run, [
      { type: 'aws_db_instance', name: 'orders', port: 5432, hosts: ['10.231.0.1'] }, // moved to 5433
      { type: 'aws_elasticache_cluster', name: 'cache', port: 6379, hosts: ['10.231.0.2'] }, // in sync
      { type: 'aws_lb_target_group', name: 'web', port: 8080, hosts: ['10.231.0.2'] }, // missing
    ]);
    const agentToken = createToken(data, 'agent', 'subnet-a');
    const reader = createToken(data, 'reader', 'tests');
    const flags = [...iac, '--data', data, '--interval', '1s', '--cycles', '1', '--debounce', '100ms'];
    const host = clientAddress(lab.client);
    let collector: Collector = await startCollector(lab.client, host, flags, 'collector (first run)');
    const agent: Proc = portdrift('agent', lab.client, ['agent', '--collector', collector.url, '--name', 'subnet-a', '--scope', '10.231.0.0/24', '--interval', '500ms', '--timeout', '300ms', '--retries', '0', '--spool', spool, '--log-level', 'debug'], { PORTDRIFT_TOKEN: agentToken });

    const before = await waitForDrift(lab.client, collector.url, reader, 'moved + missing', (d) => d.findings.length === 2, 20_000);
    expect(before.findings.map(short).sort()).toEqual(['missing aws_lb_target_group.web 10.231.0.2:8080 by subnet-a', 'moved aws_db_instance.orders 10.231.0.1:5432→5433 by subnet-a']);

    // --- outage ---------------------------------------------------------------------------
    collector.proc.signal(signal);
    await collector.proc.waitExit(10_000);
    const killedAt = Date.now();
    const sweepsBefore = agent.messages('sweep done').length;
    // Several intervals: five more sweeps, all spooled.
    await agent.waitForLog('cannot fetch the plan', 10_000, 1, (l) => Date.parse(String(l.time)) >= killedAt - 50);
    await agent.waitForLog('sweep done', 15_000, sweepsBefore + 5);
    const spooledDuringOutage = readdirSync(spool).filter((f) => f.endsWith('.ndjson')).length;
    expect(spooledDuringOutage).toBeGreaterThanOrEqual(4);

    // --- restart on the same file and address ----------------------------------------------
    const restartedAt = Date.now();
    collector = await restartCollector(lab.client, collector.url, flags, 'collector (restarted)');
    await agent.waitFor('an empty spool', () => readdirSync(spool).filter((f) => f.endsWith('.ndjson')).length === 0 || undefined, 20_000);
    agent.signal('SIGTERM');
    const exit = await agent.waitExit(10_000);
    expect(exit.code).toBe(0);
    const stopped = agent.messages('agent stopped')[0]!;
    expect(stopped).toMatchObject({ spoolDepth: 0, flushed: true, dropped: 0, rejected: 0 });
    expect(readdirSync(spool).filter((f) => f.endsWith('.ndjson'))).toEqual([]);

    // --- exactly once ------------------------------------------------------------------------
    const made = agent.messages('sweep done') as Array<LogLine & { batchId: string; summary: Summary; time: string }>;
    const duringOutage = made.filter((l) => Date.parse(l.time) > killedAt && Date.parse(l.time) < restartedAt);
    expect(duringOutage.length).toBeGreaterThanOrEqual(4);
    const db = new Database(data, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("SELECT batch_id, answer FROM batches WHERE agent = 'subnet-a'").all() as Array<{ batch_id: string; answer: string }>;
      const stored = new Map(rows.map((r) => [r.batch_id, JSON.parse(r.answer) as { observations: number; sweeps: number }]));
      expect(rows.length, 'one row per batch id').toBe(stored.size);
      expect([...stored.keys()].sort()).toEqual(made.map((l) => l.batchId).sort());
      for (const l of made) {
        const a = stored.get(l.batchId)!;
        expect(a.observations, `observations of batch ${l.batchId}`).toBe(l.summary.open + l.summary.filtered + l.summary.unreachable);
        expect(a.sweeps, `sweeps of batch ${l.batchId}`).toBe(2);
      }
      // Each outage batch carried the open and the filtered port of 10.231.0.1 and the open one of .2.
      for (const l of duringOutage) expect(l.summary).toMatchObject({ open: 2, filtered: 1, unreachable: 0 });
      const agentRow = db.prepare("SELECT batches, observations FROM agents WHERE name = 'subnet-a'").get() as { batches: number; observations: number };
      expect(agentRow).toEqual({ batches: made.length, observations: [...stored.values()].reduce((n, a) => n + a.observations, 0) });
    } finally {
      db.close();
    }

    // --- the same findings -------------------------------------------------------------------
    const after = await drift(lab.client, collector.url, reader);
    expect(after.findings.map(short).sort()).toEqual(before.findings.map(short).sort());
    expect(after.findings.map((f) => f.id).sort()).toEqual(before.findings.map((f) => f.id).sort());
    collector.proc.signal('SIGTERM');
    await collector.proc.waitExit(10_000);
  });

  // Collector bug (reported, not ours to fix): after an outage longer than the freshness window
  // the restarted collector evaluates at once on the stale store — every declared endpoint
  // turns `unobserved` (reopened) and `moved`/`missing` resolve — and flips them all back when
  // the agent's spool arrives a moment later; with --cycles 1 each flip is a transition (history,
  // alerts). The findings in the end are right (above); the churn should not happen.
  it.todo('a collector outage longer than the freshness window records no finding transition (history shows none between the kill and the drained spool)');
});
