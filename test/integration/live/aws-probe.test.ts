// `portdrift scan --live aws` with probing, inside the network-namespace lab: the scan runs in the
// lab's client namespace (in-namespace.mjs forwards 127.0.0.1 there to the AWS test server's Unix
// socket), and probes the hosts the AWS API names: the DB endpoint at the declared and configured
// port (the observed layer of config-drift) and every instance that carries a matched security
// group at the group's rule ports (stale-rule). Every address probed is inside the lab.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { type AwsServer, type AwsWorld, startAwsServer } from '../../aws/server.js';
import { labWorld } from '../../fixtures/live/lab/world.js';
import { type Lab, createLab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const main = join(repo, 'dist', 'cli', 'main.js');
const fixture = join(repo, 'test', 'fixtures', 'live', 'lab');
const forwarder = join(import.meta.dirname, 'in-namespace.mjs');
const skip = labSkipReason();
let dir: string;
let lab: Lab | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-aws-probe-'));
});
afterAll(async () => {
  await lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const ENV = {
  HOME: '',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

type Run = { code: number | null; out: string; err: string; server: AwsServer };

async function scan(world: AwsWorld, args: string[]): Promise<Run> {
  const server = await startAwsServer(world, { socketPath: join(dir, `aws-${Date.now()}.sock`) });
  try {
    const argv = [process.execPath, forwarder, server.url.slice('unix:'.length), main, ...args];
    const r = await lab!.client.run(argv, { cwd: fixture, env: { ...ENV, HOME: dir }, timeoutMs: 90_000 });
    return { code: r.code, out: r.stdout, err: r.stderr, server };
  } finally {
    await server.close();
  }
}

describe.skipIf(skip)(`scan --live aws with probing in network namespaces${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('fills the observed layer from the API hosts and reports a rule behind which nothing listens', async () => {
    lab = await createLab({ hosts: 3 });
    const listener = await lab.listen([
      { ip: '10.231.0.1', port: 8080 },
      { ip: '10.231.0.2', port: 443 },
      { ip: '10.231.0.3', port: 5433 },
    ]);
    try {
      const r = await scan(labWorld(), ['scan', '.', '--live', 'aws', '--format', 'json', '--timeout', '500ms']);
      expect(r.err).not.toMatch(/PD_AWS/);
      expect(r.code).toBe(2);
      const report = JSON.parse(r.out) as DriftReport;
      const brief = report.findings.map((f) => [f.kind, f.severity, f.resource, f.host, f.port, f.observed]);
      expect(brief).toEqual([
        ['config-drift', 'high', 'aws_db_instance.orders', '10.231.0.3', 5432, { port: 5433, protocol: 'tcp' }],
        ['unmanaged-rule', 'medium', 'aws_security_group.app', 'sg-0app00000000000001', 7000, null],
        ['stale-rule', 'low', 'aws_security_group.app', 'sg-0app00000000000001', 7000, null],
        ['stale-rule', 'low', 'aws_security_group.app', 'sg-0app00000000000001', 9200, null],
      ]);
      const declared = report.findings.find((f) => f.kind === 'stale-rule' && f.port === 9200)!;
      expect(declared.source).toEqual({ file: 'network.tf', line: 21 });
      expect(declared.declared).toEqual({ port: 9200, protocol: 'tcp' });
      expect(declared.configured).toEqual({ port: 9200, protocol: 'tcp', sources: ['10.231.0.0/16'] });
      expect(declared.message).toBe(
        'security group lab-app (sg-0app00000000000001) allows tcp 9200 but nothing listens there on any of the ' +
          '2 hosts that carry the group (10.231.0.1, 10.231.0.2): every probe was refused',
      );
      expect(declared.suggestion).toContain('remove the declaration at network.tf:21 and revoke it: aws ec2 revoke');
      const live = report.findings.find((f) => f.kind === 'stale-rule' && f.port === 7000)!;
      expect(live.declared).toBeNull();
      expect(live.source).toEqual({ file: 'network.tf', line: 2 });
    } finally {
      await listener.stop();
    }
  }, 120_000);

  it('with --no-probe, stale-rule is not judged', async () => {
    lab ??= await createLab({ hosts: 3 });
    const r = await scan(labWorld(), ['scan', '.', '--live', 'aws', '--no-probe', '--format', 'json']);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.out) as DriftReport;
    expect(report.findings.map((f) => f.kind)).toEqual(['config-drift', 'unmanaged-rule']);
  }, 120_000);
});
