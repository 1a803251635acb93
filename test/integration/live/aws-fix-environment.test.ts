import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import type { AwsServer } from '../../aws/server.js';
import { shopWorld } from '../../fixtures/live/shop/world.js';
import { awsEnv, type ChildRun, cli as childCli, KEYS, tempHome, withServer } from './aws-child.js';

const shop = join(import.meta.dirname, '..', '..', 'fixtures', 'live', 'shop');
const home = tempHome('pd-aws-fixenv-');
const env = (server: AwsServer): Record<string, string> => awsEnv(home(), server, KEYS);
/** The CLI in the shop's IaC directory. */
const cli = (args: string[], childEnv: Record<string, string>, input = ''): Promise<ChildRun> =>
  childCli(args, shop, childEnv, input);

const LIVE = ['--live', 'aws', '--no-probe'];
const FIX = ['fix', '.', '--environment', ...LIVE];
const WRITES = ['RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress', 'ModifyDBInstance'];
const WEB = 'sg-0web0000000000001';
const recorded = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const writes = (s: AwsServer): string[] => s.requests.filter((q) => WRITES.includes(q.action)).map((q) => q.action);

const SCRIPT =
  '# config-drift aws_db_instance.orders: shop-orders port 5433 → 5432\n' +
  'terraform apply -target=aws_db_instance.orders\n' +
  'aws rds modify-db-instance --region eu-west-1 --db-instance-identifier shop-orders --db-port-number 5432 ' +
  '--apply-immediately\n' +
  '\n' +
  `# unmanaged-rule aws_security_group.web: ${WEB}: revoke ingress tcp 9200\n` +
  'terraform apply -target=aws_security_group.web\n' +
  `aws ec2 revoke-security-group-ingress --region eu-west-1 --group-id ${WEB} --ip-permissions ` +
  `'[{"IpProtocol":"tcp","FromPort":9200,"ToPort":9200,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]}]'\n` +
  '\n' +
  `# missing-rule aws_security_group.web: ${WEB}: authorize ingress tcp 8443\n` +
  'terraform apply -target=aws_security_group.web\n' +
  `aws ec2 authorize-security-group-ingress --region eu-west-1 --group-id ${WEB} --ip-permissions ` +
  `'[{"IpProtocol":"tcp","FromPort":8443,"ToPort":8443,"IpRanges":[{"CidrIp":"10.0.0.0/16"}]}]'\n`;

describe('fix --environment', () => {
  it('prints the terraform target and the AWS call of each revert, and writes nothing', async () => {
    await withServer(shopWorld(), async (server) => {
      const r = await cli(FIX, env(server));
      expect(r.code).toBe(0);
      expect(r.out).toBe(SCRIPT);
      expect(r.err).toContain('3 reverts printed; nothing changed (--apply makes the 3 AWS calls)');
      expect(writes(server)).toEqual([]);
      expect(existsSync(join(shop, 'portdrift-environment.jsonl'))).toBe(false);
    });
  });

  it('--apply --yes makes the three calls, records them, and a rescan finds no drift', async () => {
    const record = join(home(), 'changes.jsonl');
    await withServer(shopWorld(), async (server) => {
      const r = await cli([...FIX, '--apply', '--yes', '--record', record], env(server));
      expect(r.err).not.toContain('failed:');
      expect(r.code).toBe(0);
      const order = ['ModifyDBInstance', 'RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress'];
      expect(writes(server)).toEqual(order);
      const revoke = server.requests.find((q) => q.action === 'RevokeSecurityGroupIngress')!;
      expect(revoke.params).toMatchObject({
        GroupId: WEB,
        'IpPermissions.1.IpProtocol': 'tcp',
        'IpPermissions.1.FromPort': '9200',
        'IpPermissions.1.ToPort': '9200',
        'IpPermissions.1.IpRanges.1.CidrIp': '10.0.0.0/8',
      });
      const lines = recorded(record);
      expect(lines.map((l) => [l.operation, l.liveId, l.region, l.ok])).toEqual([
        ['ModifyDBInstance', 'shop-orders', 'eu-west-1', true],
        ['RevokeSecurityGroupIngress', WEB, 'eu-west-1', true],
        ['AuthorizeSecurityGroupIngress', WEB, 'eu-west-1', true],
      ]);
      const modify = { DBInstanceIdentifier: 'shop-orders', DBPortNumber: 5432, ApplyImmediately: true };
      expect(lines[0]!.input).toEqual(modify);
      expect(r.err).toContain(`recorded 3 calls in ${record}`);

      const again = await cli(['scan', '.', ...LIVE, '--format', 'json'], env(server));
      expect(again.code).toBe(0);
      expect((JSON.parse(again.out) as DriftReport).findings).toEqual([]);
    });
  });

  it('asks first: anything but yes changes nothing (PD_FIX_NOT_CONFIRMED); yes applies', async () => {
    const record = join(home(), 'asked.jsonl');
    await withServer(shopWorld(), async (server) => {
      const no = await cli([...FIX, '--apply', '--record', record], env(server), 'y\n');
      expect(no.code).toBe(1);
      expect(no.err).toContain("Only 'yes' is accepted");
      expect(no.err).toContain('PD_FIX_NOT_CONFIRMED');
      const closed = await cli([...FIX, '--apply', '--record', record], env(server), '');
      expect(closed.code).toBe(1);
      expect(writes(server)).toEqual([]);
      expect(existsSync(record)).toBe(false);
      const yes = await cli([...FIX, '--apply', '--record', record], env(server), 'yes\n');
      expect(yes.code).toBe(0);
      expect(writes(server)).toHaveLength(3);
    });
  });

  it('a denied call is recorded as failed, the others are made, exit 1', async () => {
    const record = join(home(), 'denied.jsonl');
    await withServer({ ...shopWorld(), deny: ['RevokeSecurityGroupIngress'] }, async (server) => {
      const r = await cli([...FIX, '--apply', '--yes', '--record', record], env(server));
      expect(r.code).toBe(1);
      expect(r.err).toContain('failed: RevokeSecurityGroupIngress');
      expect(r.err).toContain('[PD_AWS_ACCESS_DENIED]');
      expect(r.err).toContain('PD_AWS_API');
      const lines = recorded(record);
      expect(lines.map((l) => [l.operation, l.ok])).toEqual([
        ['ModifyDBInstance', true],
        ['RevokeSecurityGroupIngress', false],
        ['AuthorizeSecurityGroupIngress', true],
      ]);
    });
  });

  it('reads a saved scan --live report with --from; without the live layer it is a usage error', async () => {
    const saved = join(home(), 'scan.json');
    await withServer(shopWorld(), async (server) => {
      const scan = await cli(['scan', '.', ...LIVE, '--format', 'json'], env(server));
      expect(scan.code).toBe(2);
      writeFileSync(saved, scan.out);
      const r = await cli(['fix', '.', '--environment', '--from', saved], env(server));
      expect(r.code).toBe(0);
      expect(r.out).toBe(SCRIPT);
      const bare = await cli(['fix', '.', '--environment'], env(server));
      expect(bare.code).toBe(1);
      expect(bare.err).toContain('pass --live aws');
      const stray = await cli(['fix', '.', '--apply'], env(server));
      expect(stray.code).toBe(1);
      expect(stray.err).toContain('--apply only apply with --environment');
    });
  });
});
