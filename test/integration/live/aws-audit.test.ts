import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import type { AwsServer } from '../../aws/server.js';
import { shopTrail } from '../../fixtures/live/shop/trail.js';
import { shopWorld } from '../../fixtures/live/shop/world.js';
import { awsEnv, type ChildRun, cli as childCli, KEYS, tempHome, withServer } from './aws-child.js';

const shop = join(import.meta.dirname, '..', '..', 'fixtures', 'live', 'shop');
const home = tempHome('pd-aws-audit-');
const env = (server: AwsServer): Record<string, string> => awsEnv(home(), server, KEYS);
/** The CLI in the shop's IaC directory. */
const cli = (args: string[], childEnv: Record<string, string>, input = ''): Promise<ChildRun> =>
  childCli(args, shop, childEnv, input);

const SCAN = ['scan', '.', '--live', 'aws', '--no-probe', '--live-audit'];
const WEB = 'sg-0web0000000000001';
const who = (name: string): string => `arn:aws:sts::123456789012:assumed-role/Admin/${name}`;

describe('scan --live aws --live-audit', () => {
  it('names who made each drift and when, from the write event that names its port', async () => {
    await withServer({ ...shopWorld(), events: shopTrail() }, async (server) => {
      const r = await cli([...SCAN, '--format', 'json'], env(server));
      expect(r.err).not.toMatch(/PD_AWS/);
      expect(r.code).toBe(2);
      const report = JSON.parse(r.out) as DriftReport;
      expect(report.findings.map((f) => [f.kind, f.liveId, f.changedBy, f.changedAt])).toEqual([
        ['config-drift', 'shop-orders', who('jane'), '2026-11-30T10:15:00.000Z'],
        ['unmanaged-rule', WEB, who('bob'), '2026-11-28T16:40:00.000Z'],
        ['missing-rule', WEB, who('carol'), '2026-11-29T11:05:00.000Z'],
      ]);
      expect(report.summary.live!.problems).toEqual([]);

      // The wire: one LookupEvents per live object (one attribute: ResourceName), signed for
      // cloudtrail, paginated with NextToken (the server's page is one event long).
      const lookups = server.requests.filter((q) => q.action === 'LookupEvents');
      expect(lookups.every((q) => q.service === 'cloudtrail' && q.region === 'eu-west-1')).toBe(true);
      const asked = lookups.map((q) => JSON.parse(q.params.LookupAttributes!) as unknown);
      expect(new Set(asked.map((a) => JSON.stringify(a)))).toEqual(
        new Set([
          JSON.stringify([{ AttributeKey: 'ResourceName', AttributeValue: 'shop-orders' }]),
          JSON.stringify([{ AttributeKey: 'ResourceName', AttributeValue: WEB }]),
        ]),
      );
      expect(lookups.filter((q) => q.params.NextToken).length).toBeGreaterThanOrEqual(3);
    });
  });

  it('shows the change in the table, SARIF and Markdown', async () => {
    await withServer({ ...shopWorld(), events: shopTrail() }, async (server) => {
      const table = await cli([...SCAN, '--format', 'table'], env(server));
      expect(table.code).toBe(2);
      expect(table.out).toContain(`  changed by ${who('jane')} at 2026-11-30T10:15:00.000Z`);
      const sarif = await cli([...SCAN, '--format', 'sarif'], env(server));
      const results = (JSON.parse(sarif.out) as { runs: { results: { properties: Record<string, unknown> }[] }[] })
        .runs[0]!.results;
      expect(results.map((x) => x.properties.changedBy)).toEqual([who('jane'), who('bob'), who('carol')]);
      const md = await cli([...SCAN, '--format', 'markdown'], env(server));
      expect(md.out).toContain('changed by arn:aws:sts::123456789012:assumed-role/Admin/carol');
    });
  });

  it('a denied lookup is a problem naming cloudtrail:LookupEvents; the findings are still reported', async () => {
    await withServer({ ...shopWorld(), events: shopTrail(), deny: ['LookupEvents'] }, async (server) => {
      const r = await cli([...SCAN, '--format', 'json'], env(server));
      expect(r.code).toBe(2);
      expect(r.err).toContain('--live-audit: eu-west-1 cloudtrail:LookupEvents');
      const report = JSON.parse(r.out) as DriftReport;
      expect(report.findings.map((f) => f.kind)).toEqual(['config-drift', 'unmanaged-rule', 'missing-rule']);
      expect(report.findings.some((f) => f.changedBy !== undefined)).toBe(false);
      expect(report.summary.live!.problems.map((p) => [p.operation, p.code])).toEqual([
        ['cloudtrail:LookupEvents', 'PD_AWS_ACCESS_DENIED'],
      ]);
    });
  });

  it('without --live it is a usage error, and without it nothing is looked up', async () => {
    await withServer({ ...shopWorld(), events: shopTrail() }, async (server) => {
      const r = await cli(['scan', '.', '--live-audit', '--format', 'json'], env(server));
      expect(r.code).toBe(1);
      expect(r.err).toContain('--live-audit only apply with --live aws');
      const plain = await cli(['scan', '.', '--live', 'aws', '--no-probe', '--format', 'json'], env(server));
      expect(plain.code).toBe(2);
      expect((JSON.parse(plain.out) as DriftReport).findings.some((f) => f.changedBy !== undefined)).toBe(false);
      expect(server.requests.some((q) => q.action === 'LookupEvents')).toBe(false);
    });
  });
});
