import { describe, expect, it } from 'vitest';
import { formatSarif, toSarif } from '../../../../shared/format/sarif.js';
import { acked, missing, moved, report, undeclared } from '../../../fixtures/findings.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = (r: Json): Json => r.runs[0];

describe('SARIF 2.1.0', () => {
  const log: Json = JSON.parse(formatSarif(report([moved, missing, undeclared, acked])));

  it('has the SARIF 2.1.0 envelope and a driver with one rule per finding kind', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    expect(log.runs).toHaveLength(1);
    const driver = run(log).tool.driver;
    expect(driver.name).toBe('portdrift');
    expect(driver.rules.map((r: Json) => r.id)).toEqual([
      'moved',
      'missing',
      'unreachable',
      'undeclared',
      'unobserved',
      'config-drift',
      'unmanaged-rule',
      'missing-rule',
      'stale-rule',
      'wrong-service',
    ]);
    for (const rule of driver.rules) {
      expect(rule.shortDescription.text).not.toBe('');
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
      expect(Number(rule.properties['security-severity'])).toBeGreaterThan(0);
    }
  });

  it('locates each result at the IaC file and line, with its rule and the finding id as fingerprint', () => {
    const results: Json[] = run(log).results;
    expect(results).toHaveLength(4);
    const rules: Json[] = run(log).tool.driver.rules;
    for (const r of results) {
      expect(rules[r.ruleIndex]?.id).toBe(r.ruleId);
      expect(typeof r.message.text).toBe('string');
    }
    const first = results[0]!;
    expect(first.ruleId).toBe('moved');
    expect(first.level).toBe('error');
    expect(first.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'rds.tf', uriBaseId: '%SRCROOT%' },
      region: { startLine: 14 },
    });
    expect(first.partialFingerprints).toEqual({ 'portdriftFindingId/v1': 'f_3c9a01' });
    expect(first.message.text).toBe(
      'aws_db_instance.orders declares port 5432 but 10.0.1.5 listens on ' +
        '5433. rds.tf:14 port = 5432 → 5433, or move the service back to 5432',
    );
    expect(first.properties.observedPort).toBe(5433);
  });

  it(
    'attaches a finding without an IaC line to the IaC root, ' +
      'since code hosts reject results without a physical location',
    () => {
      const r = run(log).results[2];
      expect(r.ruleId).toBe('undeclared');
      expect(r.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: './', uriBaseId: '%SRCROOT%' } });
      expect(r.locations[0].logicalLocations[0].name).toBe('10.0.2.10:22');
      const prefixed = toSarif(report([undeclared]), { uriPrefix: 'infra' }) as Json;
      expect(run(prefixed).results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('infra/');
      for (const res of run(log).results) expect(res.locations[0].physicalLocation.artifactLocation.uri).toMatch(/./);
    },
  );

  it('marks an acknowledged finding as an accepted suppression with its reason', () => {
    const r = run(log).results[3];
    expect(r.level).toBe('warning');
    expect(r.suppressions).toHaveLength(1);
    expect(r.suppressions[0].status).toBe('accepted');
    expect(r.suppressions[0].justification).toContain('network policy rollout');
    expect(run(log).results[0].suppressions).toBeUndefined();
  });

  it('joins a URI prefix so annotations land on repository paths', () => {
    const l = toSarif(report([moved, acked]), { uriPrefix: './infra/' }) as Json;
    expect(run(l).results.map((r: Json) => r.locations[0].physicalLocation.artifactLocation.uri)).toEqual([
      'infra/rds.tf',
      'infra/k8s/cart.yaml',
    ]);
  });

  it('is a valid log with no result when nothing drifted', () => {
    const l = JSON.parse(formatSarif(report([])));
    expect(run(l).results).toEqual([]);
    expect(run(l).tool.driver.rules).toHaveLength(10);
  });
});
