import { describe, expect, it } from 'vitest';
import { formatFindings } from '../../../../shared/format/findings.js';
import { formatTable } from '../../../../shared/format/table.js';
import { acked, finding, missing, moved, report, undeclared } from '../../../fixtures/findings.js';
import { rx } from '../../../rx.js';

describe('table format', () => {
  const text = formatTable(report([moved, missing, undeclared, acked]));
  const lines = text.split('\n');

  it('has a header, one row and one suggestion line per finding, and a summary line', () => {
    expect(lines[0]).toMatch(/^SEVERITY\s+KIND\s+RESOURCE\s+ENDPOINT\s+IAC\s+MESSAGE$/);
    expect(lines[1]).toMatch(
      rx(
        /^HIGH\s+moved\s+aws_db_instance\.orders\s+10\.0\.1\.5:5432 → 5433/,
        /\s+rds\.tf:14\s+aws_db_instance\.orders/,
        / declares port 5432 but 10\.0\.1\.5 listens on 5433$/,
      ),
    );
    expect(lines[2]).toBe('  → rds.tf:14 port = 5432 → 5433, or move the service back to 5432');
    expect(lines[5]).toMatch(/^HIGH\s+undeclared\s+aws_instance\.api\s+10\.0\.2\.10:22\s+-\s+/);
    expect(lines[7]).toMatch(/^MEDIUM\s+unreachable \(acked\)\s+k8s:Service\/shop\/cart/);
    expect(lines.at(-2)).toBe(
      '4 findings (1 moved, 1 missing, 1 unreachable, 1 undeclared), ' +
        '1 acknowledged; 12 resources, 31 endpoints checked, 30 observed.',
    );
    expect(text.endsWith('\n')).toBe(true);
  });

  it('aligns columns: every row starts its ENDPOINT column at the same offset', () => {
    const at = lines[0]!.indexOf('ENDPOINT');
    for (const i of [1, 3, 5, 7]) expect(lines[i]!.slice(at)).toMatch(/^(10\.|cart)/);
  });

  it('has no escape codes unless colour is asked for, and colours only the severity', () => {
    expect(text).not.toMatch(/\u001b/);
    const coloured = formatFindings(report([moved, acked]), 'table', { color: true }).split('\n');
    expect(coloured[1]).toMatch(/^\u001b\[31mHIGH\u001b\[0m\s+moved/);
    expect(coloured[3]).toMatch(/^\u001b\[33mMEDIUM\u001b\[0m\s+unreachable/);
    // Same widths as the plain table once the codes are removed.
    expect(coloured[1]!.replace(/\u001b\[\d+m/g, '')).toBe(formatTable(report([moved, acked])).split('\n')[1]);
  });

  it('brackets IPv6 hosts and strips terminal control characters from hostile text', () => {
    const f = finding({
      kind: 'undeclared',
      host: 'fd00::5',
      port: 9200,
      message: 'evil\u001b[2J banner\nsecond line',
      source: null,
    });
    const t = formatTable(report([f]));
    expect(t).toContain('[fd00::5]:9200');
    expect(t).not.toMatch(/\u001b/);
    expect(t).toContain('evil?[2J banner second line');
  });

  it('shortens a long resource list of an undeclared port to the first and a count', () => {
    const f = finding({ kind: 'undeclared', resource: 'a.one, b.two, c.three', source: null, port: 9229 });
    const t = formatTable(report([f]));
    expect(t.split('\n')[1]).toMatch(/^HIGH\s+undeclared\s+a\.one \+2\s+10\.0\.1\.5:9229/);
    expect(formatTable(report([{ ...f, resource: 'a.one, b.two' }])).split('\n')[1]).toContain('a.one, b.two');
  });

  it('says "No drift" with the counts when there is nothing', () => {
    expect(formatTable(report([]))).toBe('No drift: 12 resources, 31 endpoints checked, 30 observed.\n');
    const nothing = { ...report([]), summary: { resources: 2, endpoints: 0, observed: 0, findings: 0, byKind: {} } };
    expect(formatTable(nothing)).toBe(
      'Nothing checked: 2 resources, 0 endpoints checked, 0 observed (no declared listen endpoint has a known host).\n',
    );
  });
});
