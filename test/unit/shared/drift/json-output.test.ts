// `--format json` of a drift report: docs/design/findings.md#json-output, version 1, exactly.
import { describe, expect, it } from 'vitest';
import { computeDrift } from '../../../../shared/drift/index.js';
import { FINDING_FORMATS, formatFindings } from '../../../../shared/format/findings.js';
import { NOW, listen, model, obs, resource } from './build.js';

const H = '10.0.1.5';
const m = model(
  [resource('aws_db_instance.orders', [H])],
  [
    listen('aws_db_instance.orders', H, 5432, {
      source: { file: 'infra/rds.tf', line: 14 },
      origin: { kind: 'literal', file: 'infra/rds.tf', line: 14, text: '5432' },
    }),
  ],
);
const r = computeDrift(m, [obs(H, 5432, 'closed'), obs(H, 5433, 'open'), obs(H, 22, 'open')], { now: NOW });

describe('drift JSON output', () => {
  const doc = JSON.parse(formatFindings(r, 'json'));

  it('has exactly the version 1 envelope and summary keys', () => {
    expect(Object.keys(doc)).toEqual(['version', 'generatedAt', 'summary', 'findings']);
    expect(doc.version).toBe(1);
    expect(doc.generatedAt).toBe(NOW);
    expect(doc.summary).toEqual({
      resources: 1,
      endpoints: 1,
      observed: 1,
      findings: 2,
      byKind: { moved: 1, undeclared: 1 },
    });
  });

  it('lists every finding field in the contract order, observedPort only for moved, no internal origin', () => {
    const [moved, ssh] = doc.findings;
    expect(Object.keys(moved)).toEqual([
      'id',
      'kind',
      'severity',
      'resource',
      'source',
      'host',
      'port',
      'observedPort',
      'state',
      'agent',
      'firstSeen',
      'lastSeen',
      'message',
      'suggestion',
      'ack',
    ]);
    expect(moved).toMatchObject({
      kind: 'moved',
      source: { file: 'infra/rds.tf', line: 14 },
      port: 5432,
      observedPort: 5433,
      state: 'closed',
      ack: null,
    });
    expect(Object.keys(ssh)).not.toContain('observedPort');
    expect(ssh).toMatchObject({ kind: 'undeclared', severity: 'high', source: null, port: 22, state: 'open' });
    expect(JSON.stringify(doc)).not.toContain('origin');
  });

  it('every format renders the moved port and the undeclared one', () => {
    for (const format of FINDING_FORMATS) {
      const text = formatFindings(r, format);
      expect(text, format).toContain('5433');
      expect(text, format).toMatch(/listens on 22\b/);
    }
  });
});
