// planEnvironment: which revert each three-way finding gets, and why none where no AWS call can.
import { describe, expect, it } from 'vitest';
import { planEnvironment } from '../../../../shared/fix/environment.js';
import type { DeclaredEndpoint, Finding } from '../../../../shared/types.js';

const finding = (f: Partial<Finding>): Finding => ({
  id: `f_${f.kind}_${f.port}`,
  kind: 'missing-rule',
  severity: 'medium',
  resource: 'aws_security_group_rule.app',
  source: { file: 'sg.tf', line: 1 },
  host: 'sg-0app',
  port: 8080,
  state: null,
  agent: null,
  firstSeen: '2026-12-01T00:00:00Z',
  lastSeen: '2026-12-01T00:00:00Z',
  message: '',
  suggestion: '',
  ack: null,
  liveId: 'sg-0app',
  ...f,
});

const rule = (sources: string[] | undefined, resource = 'aws_security_group_rule.app'): DeclaredEndpoint => ({
  resource,
  host: null,
  port: 8080,
  protocol: 'tcp',
  role: 'allow',
  direction: 'ingress',
  source: { file: 'sg.tf', line: 1 },
  ...(sources ? { sources } : {}),
});

const plan = (findings: Finding[], endpoints: DeclaredEndpoint[], region: string | null = 'us-east-1') =>
  planEnvironment({
    findings,
    endpoints,
    liveIdOf: new Map([['aws_security_group.lb', 'sg-0lb']]),
    regionOf: () => region ?? undefined,
  });

describe('planEnvironment', () => {
  it('authorizes a missing rule from the sources the IaC writes: a referenced group by its live id, self', () => {
    const [r] = plan(
      [finding({ declared: { port: 8080, protocol: 'tcp' } })],
      [rule(['aws_security_group.lb', 'self', '10.1.0.0/16', 'fd00::/8', 'pl-0abc'])],
    );
    expect(r!.call).toEqual({
      operation: 'AuthorizeSecurityGroupIngress',
      region: 'us-east-1',
      input: {
        GroupId: 'sg-0app',
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 8080,
            ToPort: 8080,
            IpRanges: [{ CidrIp: '10.1.0.0/16' }],
            Ipv6Ranges: [{ CidrIpv6: 'fd00::/8' }],
            UserIdGroupPairs: [{ GroupId: 'sg-0lb' }, { GroupId: 'sg-0app' }],
            PrefixListIds: [{ PrefixListId: 'pl-0abc' }],
          },
        ],
      },
    });
    expect(r!.terraform).toBe('terraform apply -target=aws_security_group_rule.app');
  });

  it('gives no AWS call, with the reason, where the sources are not literal or the group matched nothing', () => {
    const f = finding({ declared: { port: 8080, protocol: 'tcp' } });
    expect(plan([f], [rule(undefined)])[0]!.why).toContain("does not write the rule's sources literally");
    const gone = plan([f], [rule(['aws_security_group.gone'])])[0]!;
    expect(gone.why).toContain('aws_security_group.gone matched no live group');
  });

  it('reverts an RDS port with ModifyDBInstance, other ports only with terraform; quotes an indexed target', () => {
    const db = finding({
      kind: 'config-drift',
      resource: 'module.db.aws_db_instance.main["eu"]',
      liveId: 'orders',
      port: 5432,
      declared: { port: 5432, protocol: 'tcp' },
      configured: { port: 5433, protocol: 'tcp' },
    });
    const tg = { ...db, resource: 'aws_lb_target_group.web', liveId: 'arn:tg' };
    const [a, b] = plan([db, tg], []);
    expect(a!.cli).toBe(
      'aws rds modify-db-instance --region us-east-1 --db-instance-identifier orders --db-port-number 5432 ' +
        '--apply-immediately',
    );
    expect(a!.terraform).toBe(`terraform apply '-target=module.db.aws_db_instance.main["eu"]'`);
    expect(b!.call).toBeNull();
    expect(b!.why).toContain('no AWS call changes this port in place');
    expect(plan([db], [], null)[0]!.why).toContain('region of the live object is not known');
  });

  it('leaves other kinds out', () => {
    expect(plan([finding({ kind: 'moved' }), finding({ kind: 'stale-rule' })], [])).toEqual([]);
  });
});
