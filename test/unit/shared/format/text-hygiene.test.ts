// Text from IaC files, probed hosts and agents is shown in terminal tables, Markdown comments and
// mail. Terminal controls (ESC), line breaks and Unicode bidirectional controls (U+202E and the
// rest, "Trojan Source") in it must neither reach the reader as such nor break a line or a row.
import { describe, expect, it } from 'vitest';
import { table } from '../../../../cli/collector-client.js';
import { formatExtractionTable } from '../../../../shared/format/extraction.js';
import { formatMarkdown } from '../../../../shared/format/markdown.js';
import { formatTable } from '../../../../shared/format/table.js';
import type { DeclaredModel } from '../../../../shared/types.js';
import { finding, report } from '../../../fixtures/findings.js';

// Every character a test string uses to attack the display, and the pattern that finds any left.
const RLO = '\u202e';
const BIDI = '\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069';
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/;

describe('text hygiene of the human formats', () => {
  it('the findings table neutralises bidi controls and keeps one line per row and suggestion', () => {
    const f = finding({
      kind: 'undeclared',
      resource: `k8s:Service/shop/${RLO}gpj.exe`,
      message: `banner ${BIDI} end`,
      suggestion: 'first\r\nsecond\u2028third\rfourth',
      source: { file: `main${RLO}.tf`, line: 3 },
    });
    const text = formatTable(report([f]));
    expect(text).not.toMatch(UNSAFE);
    // header, row, suggestion, blank, summary, and '' after the last newline
    expect(text.split('\n')).toHaveLength(6);
    expect(text).toContain('k8s:Service/shop/?gpj.exe');
    expect(text).toContain('main?.tf:3');
    expect(text).toContain('  → first second third fourth\n');
  });

  it('the extraction table keeps one line per endpoint whatever the resource name holds', () => {
    const name = 'svc\r\nFAKE  10.0.0.1  22';
    const at = (line: number) => ({ file: 'a.yml', line });
    const model: DeclaredModel = {
      resources: [{ address: name, type: 'k8s', source: at(1), hosts: [] }],
      endpoints: [{ resource: name, host: `db${RLO}.x`, port: 5432, protocol: 'tcp', role: 'listen', source: at(2) }],
      unresolved: [{ resource: 'svc\nx', attribute: 'port', expression: `\u001b[2J${RLO}`, source: at(3) }],
      problems: [],
    } as DeclaredModel;
    const text = formatExtractionTable(model);
    expect(text).not.toMatch(UNSAFE);
    expect(text.split('\n').filter((l) => l.startsWith('FAKE'))).toEqual([]);
    expect(text.split('\n')[1]).toMatch(/^svc FAKE {2}10\.0\.0\.1 {2}22\s+db\?\.x\s+5432/);
  });

  it('the Markdown comment neutralises bidi and terminal controls in every cell', () => {
    const f = finding({ kind: 'moved', resource: `a${RLO}b`, message: `x\u001b[31my\u2066z`, suggestion: 'p\u2029q' });
    const md = formatMarkdown(report([f]));
    expect(md).not.toMatch(UNSAFE);
    expect(md).toContain('a?b');
  });

  it('the query commands’ tables (agents, history, ignores, tokens) neutralise what the collector sends', () => {
    const text = table(['AGENT', 'DETAIL'], [[`evil${RLO}name`, 'a\r\nb\u001b[2J']]);
    expect(text).not.toMatch(UNSAFE);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('evil?name');
  });
});
