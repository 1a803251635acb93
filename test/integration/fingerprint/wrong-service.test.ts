// `portdrift scan` reports `wrong-service` against real daemons: the IaC declares a PostgreSQL
// `aws_db_instance` on 5432; with redis-server listening there the JSON has one wrong-service
// finding (the engine's line, expected postgres, observed redis); with the real PostgreSQL on the
// port there is none. Everything runs inside a solo lab namespace on its own loopback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { Daemons, findBinary, initPostgres, userExists } from '../../lab/daemons.mjs';
import { createSoloLab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { cli, requireBuild } from '../probe/cli.js';

const labSkip = labSkipReason();
const redis = findBinary('redis-server');
const postgres = findBinary('postgres');
const initdb = findBinary('initdb');
const daemonSkip =
  [!redis && 'redis-server', !postgres && 'postgres', !initdb && 'initdb'].filter(Boolean).join(', ') ||
  (userExists('postgres') ? '' : 'the postgres user');
const skip = labSkip || (daemonSkip ? `${daemonSkip} not installed here` : false);

const PORT = 5432;

describe.skipIf(skip)(`scan: wrong-service against real daemons${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let daemons: Daemons;
  let iac: string;
  const scan = async (...extra: string[]): Promise<{ code: number | null; report: DriftReport; stderr: string }> => {
    const args = ['scan', iac, '--targets', join(iac, 'targets.yaml'), '--format', 'json', ...extra];
    const r = await cli(daemons.lab, args);
    if (r.code !== 0 && r.code !== 2) throw new Error(`scan exited ${r.code}: ${r.stderr}`);
    return { code: r.code, report: JSON.parse(r.stdout) as DriftReport, stderr: r.stderr };
  };

  beforeAll(async () => {
    requireBuild();
    daemons = new Daemons(await createSoloLab());
    iac = mkdtempSync(join(tmpdir(), 'pd-wrong-service-'));
    writeFileSync(
      join(iac, 'rds.tf'),
      [
        'resource "aws_db_instance" "orders" {',
        '  identifier = "orders"',
        '  engine     = "postgres"',
        `  port       = ${PORT}`,
        '}',
        '',
      ].join('\n'),
    );
    const targets = 'targets:\n  - resource: "aws_db_instance.orders"\n    hosts: [127.0.0.1]\n';
    writeFileSync(join(iac, 'targets.yaml'), targets);
  }, 60_000);
  afterAll(async () => {
    await daemons?.stop();
    if (iac) rmSync(iac, { recursive: true, force: true });
  });

  it('redis-server on the postgres port: one wrong-service ' +
    'finding with the IaC line, none unfingerprinted', async () => {
    const child = daemons.redis(redis!, { port: PORT });
    try {
      await daemons.ready([PORT]);
      const { code, report } = await scan();
      expect(code).toBe(2);
      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]).toMatchObject({
        kind: 'wrong-service',
        severity: 'high',
        resource: 'aws_db_instance.orders',
        source: { file: 'rds.tf', line: 3 },
        host: '127.0.0.1',
        port: PORT,
        state: 'open',
        expectedService: 'postgres',
        observedService: 'redis',
        message: `aws_db_instance.orders expects postgres on 127.0.0.1:${PORT}; it answers redis`,
      });
      expect(report.summary.byKind).toEqual({ 'wrong-service': 1 });

      // Fingerprinting off: only connects, the port is open, nothing to report.
      const off = await scan('--no-fingerprint');
      expect(off.code).toBe(0);
      expect(off.report.findings).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      const gone = child.exitCode !== null || child.signalCode !== null;
      if (!gone) await new Promise((r) => child.once('exit', r));
    }
  }, 120_000);

  it('the real PostgreSQL on the port: no finding', async () => {
    const dir = daemons.tempDir('pg');
    daemons.postgres(postgres!, { data: initPostgres(dir, initdb!), port: PORT, socketDir: dir });
    await daemons.ready([PORT]);
    const { code, report } = await scan();
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ endpoints: 1, observed: 1, findings: 0 });
  }, 180_000);
});
