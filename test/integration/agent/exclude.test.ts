// The agent's config file keys exclude, excludePorts and rate (as probe's and scan's flags): a
// real agent and collector in a lab namespace, the IaC declaring ports on two loopback
// addresses. An excluded address gets not one SYN and an excluded port not one either, whatever
// the plan asks (both declared ports are then unobserved), and the sweep's connects keep to the
// rate: its summary's seconds are at least what the probe count allows at that rate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoloLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  type Collector,
  createToken,
  killAll,
  type Proc,
  portdrift,
  short,
  startCollector,
  synCounter,
  waitForDrift,
  writeFixture,
} from './harness.js';

const skip = labSkipReason();
const RATE = 400;

describe.skipIf(skip)(`agent config: exclude, excludePorts, rate${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let collector: Collector;
  let agent: Proc;
  let reader: string;
  let counters: Record<string, () => number>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-agent-exclude-'));
    lab = await createSoloLab();
    const store = join(dir, 'pd.db');
    const iac = writeFixture(dir, [
      { type: 'aws_lb_target_group', name: 'web', port: 8080, hosts: ['127.0.0.1'] },
      { type: 'aws_lb_target_group', name: 'admin', port: 9090, hosts: ['127.0.0.1'] },
      { type: 'aws_lb_target_group', name: 'other', port: 8080, hosts: ['127.0.0.2'] },
    ]);
    await lab.listen(['127.0.0.1:8080', '127.0.0.1:9090', '127.0.0.2:8080']);
    counters = {
      'port 9090': synCounter(lab.client, { dst: '127.0.0.1', dport: 9090 }),
      'port 8080': synCounter(lab.client, { dst: '127.0.0.1', dport: 8080 }),
      '127.0.0.2': synCounter(lab.client, { dst: '127.0.0.2' }),
    };
    const token = createToken(store, 'agent', 'ex-agent');
    reader = createToken(store, 'reader', 'tests');
    collector = await startCollector(lab.client, '127.0.0.1', [
      ...iac,
      '--data',
      store,
      '--interval',
      '1s',
      '--cycles',
      '1',
      '--debounce',
      '100ms',
      '--freshness',
      '60s',
      '--log-level',
      'info',
    ]);
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      [
        `collector: ${collector.url}`,
        'name: ex-agent',
        'scope: [127.0.0.0/8]',
        'interval: 700ms',
        `spool: ${join(dir, 'spool')}`,
        'exclude: [127.0.0.2]',
        "excludePorts: '9090'",
        `rate: ${RATE}`,
        '',
      ].join('\n'),
    );
    agent = portdrift('agent', lab.client, ['agent', '--config', config, '--log-level', 'info'], {
      PORTDRIFT_TOKEN: token,
    });
  }, 60_000);

  afterAll(async () => {
    await killAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('never probes the excluded address or port; keeps to the rate', async () => {
    const done = await agent.waitForLog('sweep done', 60_000, 1);
    const d = await waitForDrift(
      lab.client,
      collector.url,
      reader,
      'two unobserved, web observed',
      // Before the agent's first batch lands (a loaded machine), every endpoint is unobserved:
      // wait until the evaluation after it, when the web port the agent did probe is seen.
      (x) => x.findings.length >= 2 && !x.findings.some((f) => f.resource === 'aws_lb_target_group.web'),
      30_000,
    );
    expect(d.findings.map(short).sort()).toEqual([
      'unobserved aws_lb_target_group.admin 127.0.0.1:9090',
      'unobserved aws_lb_target_group.other 127.0.0.2:8080',
    ]);
    expect(counters['127.0.0.2']!()).toBe(0);
    expect(counters['port 9090']!()).toBe(0);
    expect(counters['port 8080']!()).toBeGreaterThan(0);
    const summary = done.summary as { probes: number; seconds: number };
    // The discovery set (top ports and ±10 around the declared ones) is hundreds of connects.
    expect(summary.probes).toBeGreaterThan(200);
    expect(summary.seconds).toBeGreaterThanOrEqual((0.8 * summary.probes) / RATE);
  }, 120_000);
});
