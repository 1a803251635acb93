import { describe, expect, it } from 'vitest';
import { formatJunit, xmlEscape } from '../../../../shared/format/junit.js';
import { acked, missing, moved, report, undeclared } from '../../../fixtures/findings.js';
import { rx } from '../../../rx.js';

// A strict well-formedness check: balanced tags, quoted attributes, only the five predefined
// entities (and numeric ones). Enough to catch broken escaping without an XML library.
function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(body)) !== null) {
    pos = re.lastIndex;
    if (m[6]) throw new Error(`stray < at ${m.index}`);
    const text = m[5] ?? m[3] ?? '';
    const amp = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(text);
    if (amp) throw new Error(`bare & at ${m.index}`);
    if (m[5] !== undefined) continue;
    if (m[1]) {
      if (stack.pop() !== m[2]) throw new Error(`unbalanced </${m[2]}>`);
    } else if (!m[4]) stack.push(m[2]!);
  }
  if (pos !== body.length) throw new Error(`unparsed from ${pos}: ${body.slice(pos, pos + 40)}`);
  if (stack.length) throw new Error(`unclosed ${stack.join(',')}`);
}

const count = (xml: string, re: RegExp): number => (xml.match(re) ?? []).length;

describe('JUnit XML', () => {
  const xml = formatJunit(report([moved, missing, undeclared, acked]));

  it('is well-formed, escaping markup in messages', () => {
    checkWellFormed(xml);
    expect(xml).toContain('10.0.2.10 listens on 22 &lt;ssh&gt; &amp; nothing declares it');
    expect(() => checkWellFormed('<a><b></a>')).toThrow();
    expect(() => checkWellFormed('<a>x & y</a>')).toThrow();
  });

  it('has one suite per kind, one failing case per open finding and a skipped one per acknowledged finding', () => {
    expect(count(xml, /<testsuite /g)).toBe(5);
    expect(xml).toMatch(/^<testsuites>$/m);
    expect(count(xml, /<testcase /g)).toBe(5);
    expect(count(xml, / skipped="1"/g)).toBe(1);
    expect(count(xml, /<failure /g)).toBe(3);
    expect(xml).toMatch(
      rx(
        /<skipped message="acknowledged by ops@example.com: network policy rollout/,
        / \(until 2026-12-01T00:00:00.000Z\)"\/>/,
      ),
    );
    expect(xml).toContain('<testcase classname="portdrift.unobserved" name="no unobserved findings" time="0"/>');
  });

  it('names the IaC file and line of each case in its failure and its suite output, not in its name', () => {
    expect(xml).toContain(
      '<testcase classname="portdrift.moved.aws_db_instance.orders" name="moved 10.0.1.5:5432 → 5433" time="0">',
    );
    expect(xml).toContain('<system-out>moved 10.0.1.5:5432 → 5433: rds.tf:14\n</system-out>');
    expect(xml).toContain('iac: rds.tf:14');
    expect(xml).toContain('iac: (no IaC line)');
  });

  it('joins the path prefix to every file, so CI systems find it from the repository root', () => {
    const prefixed = formatJunit(report([moved, undeclared]), { pathPrefix: './infra/prod\\' });
    expect(prefixed).toContain(': infra/prod/rds.tf:14\n</system-out>');
    expect(prefixed).toContain('iac: infra/prod/rds.tf:14');
    expect(prefixed).toContain('iac: (no IaC line)');
    expect(formatJunit(report([moved]), { pathPrefix: '.' })).toContain('iac: rds.tf:14');
  });

  it('is all green when nothing drifted', () => {
    const clean = formatJunit(report([]));
    checkWellFormed(clean);
    expect(count(clean, /tests="1" failures="0"/g)).toBe(5);
  });

  it('replaces characters XML 1.0 forbids', () => {
    expect(xmlEscape('a\u0000b\u001bc')).toBe('a\uFFFDb\uFFFDc');
    expect(xmlEscape(`"'`)).toBe('&quot;&apos;');
  });
});
