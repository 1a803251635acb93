import { describe, expect, it } from 'vitest';
import { formatFindings } from '../../../../shared/format/findings.js';
import { escapeCell, formatMarkdown } from '../../../../shared/format/markdown.js';
import { acked, finding, missing, moved, report, undeclared } from '../../../fixtures/findings.js';

describe('markdown format', () => {
  const md = formatMarkdown(report([moved, missing, undeclared, acked]));
  const lines = md.split('\n');

  it('has a heading, the summary and a table with one row per finding', () => {
    expect(lines[0]).toBe('### portdrift: 4 findings');
    expect(lines[2]).toBe(
      '4 findings (1 moved, 1 missing, 1 unreachable, 1 undeclared), ' +
        '1 acknowledged; 12 resources, 31 endpoints checked, 30 observed.',
    );
    expect(lines[4]).toBe('| Severity | Kind | Resource | Endpoint | IaC | Message | Suggestion |');
    expect(lines[5]).toBe('| --- | --- | --- | --- | --- | --- | --- |');
    expect(lines[6]).toBe(
      '| high | moved | aws\\_db\\_instance.orders | 10.0.1.5:5432 → 5433 | rds.tf:14 | ' +
        'aws\\_db\\_instance.orders declares port 5432 but 10.0.1.5 listens on ' +
        '5433 | rds.tf:14 port = 5432 → 5433, or move the service back to 5432 |',
    );
    const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| Severity') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(4);
    expect(rows[3]).toContain('unreachable (acknowledged: network policy rollout)');
  });

  it('every row has exactly seven cells even when the text holds pipes', () => {
    const f = finding({ kind: 'missing', resource: 'a|b', message: 'x | y', suggestion: 'p|q' });
    const row = formatMarkdown(report([f]))
      .split('\n')
      .find((l) => l.startsWith('| high'))!;
    // Split on pipes that are not escaped.
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(7);
    expect(row).toContain('a\\|b');
  });

  it('escapes HTML and Markdown syntax and joins lines', () => {
    expect(escapeCell('<img src=x onerror=alert(1)> **bold** [link](http://x) `code`\nnext')).toBe(
      '&lt;img src=x onerror=alert(1)&gt; \\*\\*bold\\*\\* \\[link\\](http://x) \\`code\\` next',
    );
    expect(escapeCell('a & b \\ c')).toBe('a &amp; b \\\\ c');
  });

  it('says there is no drift, without a table, when there are no findings', () => {
    const empty = formatFindings(report([]), 'markdown');
    expect(empty.split('\n')[0]).toBe('### portdrift: no port drift');
    expect(empty).not.toContain('| Severity');
    expect(empty).toContain('No drift: 12 resources');
  });
});
