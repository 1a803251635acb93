// The agent's scope is a fence it enforces itself, after DNS, whatever its plan says:
//  - a real collector whose IaC names a host by DNS name ("localhost"): the collector keeps
//    names in the plan (only the agent can resolve them), the name resolves to loopback in the
//    agent's namespace, outside its scope: skipped and logged, not one SYN at the listener there,
//    and the endpoint is reported unobserved (never in sync);
//  - a compromised collector (fake-collector.mjs) whose plan lists IP literals outside the
//    agent's scope, among them the collector's own address: not one SYN reaches them, the log
//    names each, the batch has sweeps of the in-scope host only.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  Proc,
  closeLab,
  createToken,
  openLab,
  portdrift,
  short,
  startCollector,
  synCounter,
  waitForDrift,
} from './harness.js';
import { SKIPPED, nameOutsideScope } from './name-outside-scope.js';

const skip = labSkipReason();
const FAKE = join(import.meta.dirname, 'fake-collector.mjs');
const CONNECT = join(import.meta.dirname, '..', '..', 'lab', 'connect.mjs');

/** One plain connect per endpoint from `ns` (the lab's independent checker): the counters' control. */
async function connectFrom(ns: Lab['client'], endpoints: string[]): Promise<Record<string, string>> {
  const r = await ns.run([process.execPath, CONNECT, '1500', ...endpoints], { timeoutMs: 10_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe.skipIf(skip)(`agent scope${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let client: string;

  beforeAll(async () => ({ lab, dir, client } = await openLab('pd-agent-scope-', 20)));
  afterAll(() => closeLab(lab, dir));

  it(
    'a plan host name that resolves outside the scope is skipped ' +
      'and logged; its listener gets no SYN; drift says unobserved',
    async () => {
      const data = join(dir, 'pd.db');
      // The listener the name points at is in the agent's own namespace (its loopback).
      const { iac, loops, loop4, loop6, inScope } = await nameOutsideScope(lab, dir);
      const agentToken = createToken(data, 'agent', 'subnet-a');
      const reader = createToken(data, 'reader', 'tests');
      const collector = await startCollector(lab.client, client, [
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
          '10.231.0.0/28',
          '--interval',
          '700ms',
        ],
        { PORTDRIFT_TOKEN: agentToken },
      );

      const skipped = await agent.waitForLog(SKIPPED, 20_000, 1, (l) => l.host === 'localhost');
      expect(skipped).toMatchObject({ host: 'localhost', ip: '127.0.0.1', reason: expect.any(String) });
      await agent.waitForLog('sweep done', 20_000, 2);
      const d = await waitForDrift(
        lab.client,
        collector.url,
        reader,
        'a finding for localhost:8080',
        (x) => x.findings.some((f) => f.host === 'localhost'),
        20_000,
      );
      expect(d.findings.map(short)).toEqual(['unobserved aws_lb_target_group.web localhost:8080']);
      expect(inScope(), 'the in-scope host was probed').toBeGreaterThan(0);
      expect(loop4(), 'SYNs to 127.0.0.1:8080').toBe(0);
      expect(loop6(), 'SYNs to [::1]:8080').toBe(0);
      // Control: the counters do see a connect to those listeners.
      expect(await connectFrom(lab.client, loops)).toEqual(Object.fromEntries(loops.map((e) => [e, 'open'])));
      expect([loop4(), loop6()]).toEqual([1, loops.length - 1]);
      agent.signal('SIGTERM');
      collector.proc.signal('SIGTERM');
      expect((await agent.waitExit(10_000)).code).toBe(0);
      await collector.proc.waitExit(10_000);
    },
  );

  it(
    'a compromised collector cannot make the agent probe ' + 'outside its scope: no SYN reaches the listed addresses',
    async () => {
      const plan = {
        version: 1,
        agent: 'subnet-a',
        revision: 'evil-1',
        intervalMs: 700,
        targets: [
          { host: '10.231.0.1', declared: [22], discovery: '80', resources: ['aws_instance.ok'] },
          { host: '10.231.0.20', declared: [22], discovery: '1-1024', resources: ['aws_instance.elsewhere'] },
          // The machine the collector itself runs on, which no scope of this agent holds.
          { host: client, declared: [22], discovery: '1-1024', resources: ['aws_instance.collector'] },
        ],
      };
      const planFile = join(dir, 'evil-plan.json');
      writeFileSync(planFile, JSON.stringify(plan));
      await lab.listen(['10.231.0.1:22', '10.231.0.20:22']);
      await lab.client.listen([`${client}:22`]);
      const ok = synCounter(lab.server, { dst: '10.231.0.1', dport: 22 });
      const elsewhere = synCounter(lab.server, { dst: '10.231.0.20' });
      const own = synCounter(lab.client, { dst: client, dport: 22 });
      const ownLow = synCounter(lab.client, { dst: client, dport: 1 }); // a port of the discovery range

      const fake = new Proc('fake collector', lab.client, [FAKE, client, planFile]);
      const url = await fake.waitFor('"listening on"', () => /listening on (http\S+)/.exec(fake.stderr)?.[1], 10_000);
      const agent = portdrift('agent', lab.client, [
        'agent',
        '--collector',
        url,
        '--token',
        'whatever-the-fake-takes',
        '--name',
        'subnet-a',
        '--scope',
        '10.231.0.0/28',
        '--interval',
        '700ms',
      ]);

      await agent.waitForLog('sweep done', 20_000, 2);
      const skipped = agent.messages(SKIPPED).filter((l) => l.host !== undefined);
      expect(new Set(skipped.map((l) => l.ip))).toEqual(new Set(['10.231.0.20', client]));
      const batches = await fake.waitFor(
        'two batches',
        () => {
          const b = fake.stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { batchId: string; body: string });
          return b.length >= 2 ? b : undefined;
        },
        10_000,
      );
      for (const b of batches) {
        const records = b.body
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { t: string; host?: string; ip?: string });
        expect(records[0]).toMatchObject({ t: 'batch', batchId: b.batchId, agent: 'subnet-a' });
        expect(new Set(records.filter((r) => r.t !== 'batch').map((r) => r.ip))).toEqual(new Set(['10.231.0.1']));
      }
      expect(ok(), 'SYNs to the in-scope 10.231.0.1:22').toBeGreaterThan(0);
      expect(elsewhere(), 'SYNs to 10.231.0.20 (any port)').toBe(0);
      expect(own(), `SYNs to ${client}:22`).toBe(0);
      expect(ownLow(), `SYNs to ${client}:1`).toBe(0);
      expect(await connectFrom(lab.client, ['10.231.0.20:22'])).toEqual({ '10.231.0.20:22': 'open' });
      expect(elsewhere(), 'control: a connect to 10.231.0.20:22 is counted').toBe(1);
      agent.signal('SIGTERM');
      expect((await agent.waitExit(10_000)).code).toBe(0);
      fake.signal('SIGTERM');
      await fake.waitExit(5_000);
    },
  );
});
