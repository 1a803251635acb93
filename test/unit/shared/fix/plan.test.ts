import { describe, expect, it } from 'vitest';
import { filesNeeded, planFixes } from '../../../../shared/fix/plan.js';
import type { DeclaredEndpoint } from '../../../../shared/types.js';
import { finding } from '../../../fixtures/findings.js';

const ep = (over: Partial<DeclaredEndpoint>): DeclaredEndpoint => ({
  resource: 'aws_db_instance.orders',
  host: '10.0.1.5',
  port: 5432,
  protocol: 'tcp',
  role: 'listen',
  source: { file: 'rds.tf', line: 3 },
  ...over,
});

const files = new Map([
  [
    'rds.tf',
    'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port   = ' +
      'var.db_port\n}\n\nresource "aws_db_instance" "replica" {\n  port = var.db_port\n}\n',
  ],
  ['variables.tf', 'variable "db_port" {\n  type    = number\n  default = 5432\n}\n'],
  ['terraform.tfvars', 'db_port = 5432\n'],
  ['cache.tf', 'resource "aws_elasticache_cluster" "cache" {\n  engine = "redis"\n}\n'],
  ['api.tf', 'resource "aws_lb_target_group" "api" {\n  port = var.base + 1\n}\n'],
  ['k8s/cart.yaml', 'spec:\n  ports:\n    - port: 80\n      targetPort: 8080\n'],
  ['compose.yaml', 'services:\n  cart:\n    ports:\n      - "8080:80"\n'],
  ['stack.yaml', 'Parameters:\n  DbPort:\n    Type: Number\n    Default: 5432\n'],
]);

const moved = (resource: string, port: number, observedPort: number, id = `f_${resource}`) =>
  finding({ kind: 'moved', id, resource, port, observedPort, host: '10.0.1.5' });

describe('planFixes', () => {
  it('edits the variable default a port comes from, and says which other resources it feeds', () => {
    const origin = {
      kind: 'variable-default' as const,
      file: 'variables.tf',
      line: 3,
      name: 'db_port',
      text: '5432',
      sharedWith: ['aws_db_instance.replica'],
    };
    const endpoints = [
      ep({ origin }),
      ep({ host: '10.0.1.6', origin }),
      ep({
        resource: 'aws_db_instance.replica',
        source: { file: 'rds.tf', line: 7 },
        origin: { ...origin, sharedWith: ['aws_db_instance.orders'] },
      }),
    ];
    const findings = [finding({ kind: 'missing' }), moved('aws_db_instance.orders', 5432, 5433)];
    expect(filesNeeded(findings, endpoints)).toEqual(['variables.tf']);
    const plan = planFixes(findings, endpoints, files);
    expect(plan.refused).toEqual([]);
    expect(plan.skipped).toBe(1);
    expect(plan.edits).toHaveLength(1);
    expect(plan.edits[0]).toMatchObject({
      file: 'variables.tf',
      line: 3,
      before: '  default = 5432',
      after: '  default = 5433',
      what: 'variable "db_port" default',
      alsoChanges: ['aws_db_instance.replica'],
    });
    expect(plan.diff).toBe(
      '--- a/variables.tf\n+++ b/variables.tf\n@@ -1,4 +1,4 @@\n variable ' +
        '"db_port" {\n   type    = number\n-  default = 5432\n+  default = 5433\n }\n',
    );
    expect(plan.changes[0]!.after).toBe('variable "db_port" {\n  type    = number\n  default = 5433\n}\n');
  });

  it(
    'edits one shared origin once when every resource it feeds ' +
      'moved to the same port, and refuses when they disagree',
    () => {
      const origin = { kind: 'tfvars' as const, file: 'terraform.tfvars', line: 1, name: 'db_port', text: '5432' };
      const endpoints = [ep({ origin }), ep({ resource: 'aws_db_instance.replica', origin })];
      const same = planFixes(
        [moved('aws_db_instance.orders', 5432, 6000), moved('aws_db_instance.replica', 5432, 6000)],
        endpoints,
        files,
      );
      expect(same.edits).toHaveLength(1);
      expect(same.edits[0]!.findingIds).toHaveLength(2);
      expect(same.edits[0]!.after).toBe('db_port = 6000');
      const differ = planFixes(
        [moved('aws_db_instance.orders', 5432, 6000), moved('aws_db_instance.replica', 5432, 6001)],
        endpoints,
        files,
      );
      expect(differ.edits).toEqual([]);
      expect(differ.refused).toHaveLength(2);
      expect(differ.refused[0]!.reason).toMatch(
        /db_port in a tfvars file at terraform.tfvars:1 feeds .*6000.* and .*6001.*: one value cannot match both/,
      );
      expect(differ.diff).toBe('');
    },
  );

  it('edits Kubernetes, Compose and CloudFormation literals at their own lines', () => {
    const endpoints = [
      ep({ resource: 'k8s:Service/shop/cart', port: 8080, source: { file: 'k8s/cart.yaml', line: 4 } }),
      ep({ resource: 'compose:cart', port: 80, source: { file: 'compose.yaml', line: 4 } }),
      ep({
        resource: 'cfn:OrdersDb',
        port: 5432,
        source: { file: 'stack.yaml', line: 1 },
        origin: { kind: 'parameter-default', file: 'stack.yaml', line: 4, name: 'DbPort', text: '5432' },
      }),
    ];
    const plan = planFixes(
      [moved('k8s:Service/shop/cart', 8080, 8081), moved('compose:cart', 80, 81), moved('cfn:OrdersDb', 5432, 5433)],
      endpoints,
      files,
    );
    expect(plan.refused).toEqual([]);
    expect(plan.edits.map((e) => `${e.file}:${e.line} ${e.after.trim()}`)).toEqual([
      'compose.yaml:4 - "8080:81"',
      'k8s/cart.yaml:4 targetPort: 8081',
      'stack.yaml:4 Default: 5433',
    ]);
    expect(plan.edits.find((e) => e.file === 'stack.yaml')!.what).toBe('parameter DbPort Default');
    expect(plan.diff.match(/^--- a\//gm)).toHaveLength(3);
  });

  it('refuses expressions, defaults, stale models and unknown endpoints with the reason', () => {
    const endpoints = [
      ep({ resource: 'aws_lb_target_group.api', port: 8001, source: { file: 'api.tf', line: 2 } }),
      ep({ resource: 'aws_elasticache_cluster.cache', port: 6379, source: { file: 'cache.tf', line: 1 } }),
      ep({ resource: 'aws_db_instance.gone', source: { file: 'rds.tf', line: 99 } }),
    ];
    const plan = planFixes(
      [
        moved('aws_lb_target_group.api', 8001, 8002),
        moved('aws_elasticache_cluster.cache', 6379, 6380),
        moved('aws_db_instance.gone', 5432, 5433),
        moved('aws_instance.nowhere', 22, 2222),
      ],
      endpoints,
      files,
    );
    expect(plan.edits).toEqual([]);
    const reasons = Object.fromEntries(plan.refused.map((r) => [r.resource, r.reason]));
    expect(reasons['aws_lb_target_group.api']).toMatch(/^the value `var.base \+ 1` is an expression/);
    expect(reasons['aws_elasticache_cluster.cache']).toMatch(/no literal value|not written/);
    expect(reasons['aws_db_instance.gone']).toMatch(/has no line 99/);
    expect(reasons['aws_instance.nowhere']).toMatch(/no longer declares port 22/);
  });

  it('never touches a file it has no edit for, and keeps CRLF line ends', () => {
    const crlf = new Map([['w.tf', 'a = 1\r\nport = 5432\r\nb = 2\r\n']]);
    const plan = planFixes(
      [moved('r.x', 5432, 5433)],
      [ep({ resource: 'r.x', source: { file: 'w.tf', line: 2 } })],
      crlf,
    );
    expect(plan.changes).toEqual([
      { file: 'w.tf', before: 'a = 1\r\nport = 5432\r\nb = 2\r\n', after: 'a = 1\r\nport = 5433\r\nb = 2\r\n' },
    ]);
  });
});

describe('planFixes with the findings of one complete scan', () => {
  const origin = { kind: 'variable-default' as const, file: 'variables.tf', line: 3, name: 'db_port', text: '5432' };
  const endpoints = [
    ep({ origin }),
    ep({ resource: 'aws_db_instance.replica', source: { file: 'rds.tf', line: 7 }, origin }),
  ];

  it('refuses to edit a value that also feeds a resource known to be in sync', () => {
    const plan = planFixes([moved('aws_db_instance.orders', 5432, 5433)], endpoints, files, [], { complete: true });
    expect(plan.edits).toEqual([]);
    expect(plan.refused[0]!.reason).toBe(
      'variable "db_port" default at variables.tf:3 also feeds aws_db_instance.replica, which is in ' +
        'sync on 5432: changing it would move that port too; give aws_db_instance.orders a value of its own',
    );
  });

  it('edits it, naming the other resource, when that one was not checked or the findings may be filtered', () => {
    const unchecked = [endpoints[0]!, { ...endpoints[1]!, host: null }];
    expect(
      planFixes([moved('aws_db_instance.orders', 5432, 5433)], unchecked, files, [], { complete: true }).edits[0]!
        .alsoChanges,
    ).toEqual(['aws_db_instance.replica']);
    expect(planFixes([moved('aws_db_instance.orders', 5432, 5433)], endpoints, files).edits[0]!.alsoChanges).toEqual([
      'aws_db_instance.replica',
    ]);
    // A finding of another kind for it (missing, unreachable …) is not "in sync" either.
    const other = finding({ kind: 'missing', id: 'f_m', resource: 'aws_db_instance.replica', port: 5432 });
    expect(
      planFixes([moved('aws_db_instance.orders', 5432, 5433), other], endpoints, files, [], { complete: true }).edits,
    ).toHaveLength(1);
  });
});

describe('planFixes and extraction problems', () => {
  it('refuses a finding in a file that did not parse, naming the problem, instead of calling it stale', () => {
    const f = finding({
      kind: 'moved',
      id: 'f_b',
      resource: 'aws_db_instance.orders',
      port: 5432,
      observedPort: 5433,
      source: { file: 'rds.tf', line: 3 },
    });
    const plan = planFixes([f], [], files, [], {
      problems: [{ file: 'rds.tf', line: 2, message: 'Unclosed configuration block', code: 'PD_IAC_PARSE' }],
    });
    expect(plan.refused).toEqual([
      {
        findingId: 'f_b',
        resource: 'aws_db_instance.orders',
        where: 'rds.tf:3',
        reason: 'rds.tf:2 could not be extracted (Unclosed configuration block); fix that first',
      },
    ]);
  });
});
