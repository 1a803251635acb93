import { describe, expect, it } from 'vitest';
import { applyIgnoreFile, parseIgnoreFile } from '../../../shared/ignore-file.js';
import { acked, missing, moved, report, undeclared } from '../../fixtures/findings.js';

describe('.portdriftignore rules', () => {
  it('parse every target form: host, host:port, *:port, [v6]:port, bare v6, none', () => {
    const rules = parseIgnoreFile(
      [
        '# c',
        'moved a 10.0.0.5 # r1',
        'missing a db.internal:5432 # r2',
        '* a *:9090 # r3',
        'undeclared * [fd00::1]:22 # r4',
        '* * fd00::2 # r5',
        '* a.* # r6',
        '',
      ].join('\n'),
      'f',
    );
    expect(rules.map((r) => [r.kind, r.resource, r.host, r.port, r.reason, r.line])).toEqual([
      ['moved', 'a', '10.0.0.5', null, 'r1', 2],
      ['missing', 'a', 'db.internal', 5432, 'r2', 3],
      [null, 'a', null, 9090, 'r3', 4],
      ['undeclared', '*', 'fd00::1', 22, 'r4', 5],
      [null, '*', 'fd00::2', null, 'r5', 6],
      [null, 'a.*', null, null, 'r6', 7],
    ]);
  });

  it('match by kind, resource glob (any of merged resources), host (any case) and declared or observed port', () => {
    const r = report([moved, missing, undeclared, acked]);
    const rules = parseIgnoreFile(
      'moved aws_db_* 10.0.1.5:5433 # moved on purpose\nundeclared * 10.0.2.10 # bastion\n',
      '.portdriftignore',
    );
    const out = applyIgnoreFile(r, rules);
    expect(out.findings.map((f) => f.id)).toEqual([missing.id, acked.id]);
    expect(out.summary).toMatchObject({ findings: 2, ignored: 2, byKind: { missing: 1, unreachable: 1 } });
    const merged = { ...missing, resource: 'a.x, aws_elasticache_cluster.cache' };
    expect(applyIgnoreFile(report([merged]), parseIgnoreFile('* aws_elasticache_* # r\n', 'f')).findings).toEqual([]);
  });
});
