// Security-group (and NACL, firewall) rules carry their direction: an egress allow-all must not
// look like an inbound allow-all, and an egress rule is never a port a scan probes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempProjects } from './projects.js';
import { scanTargets } from '../../../../shared/drift/targets.js';
import { formatExtractionTable, toExtractionOutput } from '../../../../shared/format/extraction.js';
import { extract } from '../../../../shared/iac/extract.js';

const opts = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };
const project = tempProjects('direction');
const rows = (m: Awaited<ReturnType<typeof extract>>): string[] =>
  m.endpoints.map((e) => {
    const ports = `${e.port}${e.toPort ? `-${e.toPort}` : ''}/${e.protocol}`;
    return `${e.resource} ${ports} ${e.role} ${e.direction ?? '-'} :${e.source.line}`;
  });

describe('rule direction', () => {
  it('terraform: inline ingress/egress, aws_security_group_rule type, the vpc rule resources, NACLs', async () => {
    const d = await project('tf', {
      'sg.tf': [
        'resource "aws_security_group" "web" {',
        '  ingress {',
        '    from_port = 443',
        '    to_port   = 443',
        '    protocol  = "tcp"',
        '  }',
        '  egress {',
        '    from_port = 0',
        '    to_port   = 0',
        '    protocol  = "-1"',
        '  }',
        '}',
        'resource "aws_security_group_rule" "out" {',
        '  type      = "egress"',
        '  from_port = 5432',
        '  to_port   = 5432',
        '  protocol  = "tcp"',
        '}',
        'resource "aws_security_group_rule" "in" {',
        '  type      = "ingress"',
        '  from_port = 8080',
        '  to_port   = 8080',
        '  protocol  = "tcp"',
        '}',
        'resource "aws_vpc_security_group_egress_rule" "all" {',
        '  ip_protocol = "-1"',
        '}',
        'resource "aws_vpc_security_group_ingress_rule" "ssh" {',
        '  from_port   = 22',
        '  to_port     = 22',
        '  ip_protocol = "tcp"',
        '}',
        'resource "aws_network_acl_rule" "out" {',
        '  egress      = true',
        '  rule_action = "allow"',
        '  from_port   = 1024',
        '  to_port     = 65535',
        '  protocol    = "tcp"',
        '}',
        '',
      ].join('\n'),
    });
    const m = await extract([d], opts, { cwd: '/' });
    expect(rows(m)).toEqual([
      'aws_network_acl_rule.out 1024-65535/tcp allow egress :36',
      'aws_security_group.web 1-65535/all allow egress :8',
      'aws_security_group.web 443/tcp allow ingress :3',
      'aws_security_group_rule.in 8080/tcp allow ingress :21',
      'aws_security_group_rule.out 5432/tcp allow egress :15',
      'aws_vpc_security_group_egress_rule.all 1-65535/all allow egress :25',
      'aws_vpc_security_group_ingress_rule.ssh 22/tcp allow ingress :29',
    ]);
    // The extraction JSON carries it (an additive field of version 1); the table says in / out.
    expect(toExtractionOutput(m).endpoints[1]).toEqual(expect.objectContaining({ role: 'allow', direction: 'egress' }));
    expect(formatExtractionTable(m)).toMatch(/aws_security_group\.web +- +1-65535 +all +allow out +sg\.tf:8\n/);
  });

  it('cloudformation: SecurityGroupIngress / SecurityGroupEgress and the standalone rule resources', async () => {
    const d = await project('cfn', {
      'sg.yaml': [
        'AWSTemplateFormatVersion: "2010-09-09"',
        'Resources:',
        '  Web:',
        '    Type: AWS::EC2::SecurityGroup',
        '    Properties:',
        '      SecurityGroupIngress:',
        '        - {IpProtocol: tcp, FromPort: 443, ToPort: 443}',
        '      SecurityGroupEgress:',
        '        - IpProtocol: "-1"',
        '          CidrIp: 0.0.0.0/0',
        '  In:',
        '    Type: AWS::EC2::SecurityGroupIngress',
        '    Properties: {IpProtocol: tcp, FromPort: 22, ToPort: 22}',
        '  Out:',
        '    Type: AWS::EC2::SecurityGroupEgress',
        '    Properties: {IpProtocol: tcp, FromPort: 5432, ToPort: 5432}',
        '',
      ].join('\n'),
    });
    const m = await extract([d], opts, { cwd: '/' });
    expect(rows(m)).toEqual([
      'cfn:In 22/tcp allow ingress :13',
      'cfn:Out 5432/tcp allow egress :16',
      'cfn:Web 1-65535/all allow egress :9',
      'cfn:Web 443/tcp allow ingress :7',
    ]);
  });

  it('an egress rule on a host is not probed by a scan: neither as declared nor as a neighbourhood', async () => {
    const d = await project('scan', {
      'main.tf': [
        'resource "aws_security_group_rule" "out" {',
        '  type      = "egress"',
        '  from_port = 47000',
        '  to_port   = 47000',
        '  protocol  = "tcp"',
        '}',
        '',
      ].join('\n'),
      'targets.yaml': 'targets:\n  - resource: aws_security_group_rule.out\n    hosts: [127.0.0.1]\n',
    });
    const m = await extract([join(d, 'main.tf')], { ...opts, targetsFile: join(d, 'targets.yaml') }, { cwd: '/' });
    const egress = { host: '127.0.0.1', port: 47000, role: 'allow', direction: 'egress' };
    expect(m.endpoints).toEqual([expect.objectContaining(egress)]);
    const [t] = scanTargets(m);
    expect(t!.declared).toEqual([]);
    expect(t!.discovery.filter((p) => p >= 46990 && p <= 47010)).toEqual([]);
  });
});
