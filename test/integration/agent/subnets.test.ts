// Two agents in two "subnets" (the lab's client and server namespaces), one collector, one IaC
// whose hosts span both: `portdrift drift` reports the drift of both subnets, each host is
// probed by exactly the agent whose scope holds it (SYN counters on the hosts, by inbound
// interface), and a host no scope holds gets no packet at all and is reported unobserved.
//
// Topology: the collector runs in the client namespace on the client end of the veth
// (10.231.255.254): agent A (client namespace, scope 10.231.0.0/28) reaches it locally, agent B
// (server namespace, scope 10.231.0.16/28, probing its own addresses over lo) over the veth.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../collector/store/sqlite-driver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  clientAddress,
  type Proc,
  createToken,
  drift,
  killAll,
  portdrift,
  query,
  short,
  startCollector,
  synCounter,
  waitForDrift,
  writeFixture,
  type Collector,
} from './harness.js';

const skip = labSkipReason();

describe.skipIf(skip)(`agents in two subnets${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let collector: Collector;
  let reader: string;
  const agents: Proc[] = [];
  let counters: Record<string, () => number>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-agent-subnets-'));
    lab = await createLab({ hosts: 33 });
    const data = join(dir, 'pd.db');
    const iac = writeFixture(dir, [
      { type: 'aws_db_instance', name: 'orders', port: 5432, hosts: ['10.231.0.1'] }, // A: moved to 5433
      { type: 'aws_elasticache_cluster', name: 'cache', port: 6379, hosts: ['10.231.0.2'] }, // A: in sync
      { type: 'aws_lb_target_group', name: 'web', port: 8080, hosts: ['10.231.0.17'] }, // B: missing
      { type: 'aws_db_instance', name: 'users', port: 3306, hosts: ['10.231.0.18'] }, // B: in sync
      { type: 'aws_db_instance', name: 'legacy', port: 5432, hosts: ['10.231.0.33'] }, // no agent's scope
    ]);
    await lab.listen(['10.231.0.1:5433', '10.231.0.2:6379', '10.231.0.18:3306', '10.231.0.33:5432']);
    // Agent A's SYNs arrive in the server namespace over the veth (pdls); agent B's over lo.
    counters = {};
    for (const ip of ['10.231.0.1', '10.231.0.2', '10.231.0.17', '10.231.0.18']) {
      counters[`${ip} pdls`] = synCounter(lab.server, { dst: ip, iface: 'pdls' });
      counters[`${ip} lo`] = synCounter(lab.server, { dst: ip, iface: 'lo' });
    }
    counters['10.231.0.33 any'] = synCounter(lab.server, { dst: '10.231.0.33' });
    const tokenA = createToken(data, 'agent', 'subnet-a');
    const tokenB = createToken(data, 'agent', 'subnet-b');
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
      '--log-level',
      'info',
    ]);
    const common = ['--collector', collector.url, '--interval', '700ms', '--log-level', 'info'];
    agents.push(
      portdrift(
        'agent subnet-a',
        lab.client,
        ['agent', ...common, '--name', 'subnet-a', '--scope', '10.231.0.0/28', '--spool', join(dir, 'spool-a')],
        { PORTDRIFT_TOKEN: tokenA },
      ),
    );
    agents.push(
      portdrift(
        'agent subnet-b',
        lab.server,
        ['agent', ...common, '--name', 'subnet-b', '--scope', '10.231.0.16/28', '--spool', join(dir, 'spool-b')],
        { PORTDRIFT_TOKEN: tokenB },
      ),
    );
  });

  afterAll(async () => {
    await killAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'drift reports the moved port of subnet A and the ' + 'missing one of subnet B, each found by its own agent',
    async () => {
      // Two sweeps of each agent delivered: the findings rest on settled observations.
      await Promise.all(agents.map((a) => a.waitForLog('sweep done', 20_000, 2)));
      const d = await waitForDrift(
        lab.client,
        collector.url,
        reader,
        'moved + missing + unobserved',
        (x) => ['moved', 'missing', 'unobserved'].every((k) => x.findings.some((f) => f.kind === k)),
        20_000,
      );
      expect(d.findings.map(short).sort()).toEqual([
        'missing aws_lb_target_group.web 10.231.0.17:8080 by subnet-b',
        'moved aws_db_instance.orders 10.231.0.1:5432→5433 by subnet-a',
        'unobserved aws_db_instance.legacy 10.231.0.33:5432',
      ]);
      const moved = d.findings.find((f) => f.kind === 'moved')!;
      expect(moved.source).toEqual({ file: 'main.tf', line: expect.any(Number) });
      expect(d.summary.byKind).toEqual({ moved: 1, missing: 1, unobserved: 1 });
    },
  );

  it('each host was probed only by the agent whose scope holds it', async () => {
    const seen = Object.fromEntries(Object.entries(counters).map(([k, read]) => [k, read()]));
    // A (over the veth) probed .1 and .2 only; B (over lo) probed .17 and .18 only.
    for (const ip of ['10.231.0.1', '10.231.0.2']) {
      expect(seen[`${ip} pdls`], `${ip} from subnet-a`).toBeGreaterThan(0);
      expect(seen[`${ip} lo`], `${ip} from subnet-b`).toBe(0);
    }
    for (const ip of ['10.231.0.17', '10.231.0.18']) {
      expect(seen[`${ip} lo`], `${ip} from subnet-b`).toBeGreaterThan(0);
      expect(seen[`${ip} pdls`], `${ip} from subnet-a`).toBe(0);
    }
    expect(seen['10.231.0.33 any'], '10.231.0.33 is in no scope: not one SYN').toBe(0);
  });

  it(
    'portdrift agents lists both agents with their batches; ' +
      "the store holds each host's sweeps under its own agent only",
    async () => {
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
      const out = JSON.parse(r.stdout) as {
        agents: Array<{
          name: string;
          batches: number;
          observations: number;
          late: boolean;
          spoolDepth: number;
          spoolDropped: number;
        }>;
      };
      expect(out.agents.map((a) => a.name).sort()).toEqual(['subnet-a', 'subnet-b']);
      for (const a of out.agents) {
        expect(a.batches, a.name).toBeGreaterThanOrEqual(2);
        expect(a.observations, a.name).toBeGreaterThan(0);
        expect(a).toMatchObject({ late: false, spoolDropped: 0 });
      }
      const db = new Database(join(dir, 'pd.db'), { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare('SELECT DISTINCT agent, host FROM sweeps ORDER BY agent, host').all() as Array<{
          agent: string;
          host: string;
        }>;
        expect(rows).toEqual([
          { agent: 'subnet-a', host: '10.231.0.1' },
          { agent: 'subnet-a', host: '10.231.0.2' },
          { agent: 'subnet-b', host: '10.231.0.17' },
          { agent: 'subnet-b', host: '10.231.0.18' },
        ]);
      } finally {
        db.close();
      }
    },
  );

  it(
    "fixing the IaC (5432 → 5433) reaches subnet A's " + 'agent as a new plan, and the moved finding resolves',
    async () => {
      const plansBefore = agents[0]!.messages('new plan').length;
      writeFixture(dir, [
        { type: 'aws_db_instance', name: 'orders', port: 5433, hosts: ['10.231.0.1'] },
        { type: 'aws_elasticache_cluster', name: 'cache', port: 6379, hosts: ['10.231.0.2'] },
        { type: 'aws_lb_target_group', name: 'web', port: 8080, hosts: ['10.231.0.17'] },
        { type: 'aws_db_instance', name: 'users', port: 3306, hosts: ['10.231.0.18'] },
        { type: 'aws_db_instance', name: 'legacy', port: 5432, hosts: ['10.231.0.33'] },
      ]);
      await agents[0]!.waitForLog('new plan', 20_000, plansBefore + 1);
      const d = await waitForDrift(
        lab.client,
        collector.url,
        reader,
        'no moved finding',
        (x) => !x.findings.some((f) => f.kind === 'moved'),
        20_000,
      );
      expect(d.findings.map(short).sort()).toEqual([
        'missing aws_lb_target_group.web 10.231.0.17:8080 by subnet-b',
        'unobserved aws_db_instance.legacy 10.231.0.33:5432',
      ]);
      expect(agents[1]!.messages('new plan'), "subnet B's plan (hosts .17 and .18) kept its revision").toHaveLength(1);
      const resolved = await drift(lab.client, collector.url, reader, ['--status', 'resolved']);
      expect(resolved.findings.map(short)).toContain('moved aws_db_instance.orders 10.231.0.1:5432→5433 by subnet-a');
    },
  );
});
