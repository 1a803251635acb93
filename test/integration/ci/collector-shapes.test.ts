// What `portdrift drift` prints comes from a collector and can hold what a one-shot scan never
// does: acknowledged findings, findings of every kind, no IaC line, and text taken from probed
// banners and file names. The same checks as the scan end-to-end test (formats.test.ts), on
// such reports through the one formatter entry both commands use.
import { describe, expect, it } from 'vitest';
import { formatFindings } from '../../../shared/format/findings.js';
import type { Finding } from '../../../shared/types.js';
import { acked, finding, missing, moved, report, undeclared } from '../../fixtures/findings.js';
import { sarifProblems } from './sarif-check.js';
import { parseXml } from './xml.js';

const hostile = finding({
  kind: 'undeclared',
  id: 'f_hostile05',
  severity: 'medium',
  resource: 'compose:web|<script>',
  source: { file: 'dir with spaces/ü&<x>.yaml', line: 3 },
  host: '10.0.3.3',
  port: 8443,
  state: 'open',
  message: 'banner "\u0007HELLO]]> <b>&amp;</b>\u0000" | pipes | and\nnewlines',
  suggestion: 'stop it `now` *please*',
});
const unobserved = finding({
  kind: 'unobserved',
  id: 'f_unobs06',
  severity: 'low',
  state: null,
  agent: null,
  resource: 'cfn:OrdersDb',
  source: { file: 'stack.yaml', line: 11 },
  host: 'orders.internal',
  port: 5432,
});
const all: Finding[] = [moved, missing, undeclared, acked, hostile, unobserved];
const r = report(all);

describe('CI formats of collector reports', () => {
  it('sarif: percent-encodes file names with spaces, #, ? or non-ASCII in artifactLocation.uri', () => {
    const odd = [hostile, finding({ ...moved, id: 'f_hash0007', source: { file: 'a#1/b?c.tf', line: 2 } })];
    const log = JSON.parse(formatFindings(report(odd), 'sarif'));
    expect(sarifProblems(log)).toEqual([]);
    const uris = (
      log.runs[0].results as Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }>
    ).map((x) => x.locations[0]!.physicalLocation.artifactLocation.uri);
    expect(uris.sort()).toEqual(['a%231/b%3Fc.tf', 'dir%20with%20spaces/%C3%BC%26%3Cx%3E.yaml']);
    expect(uris.map((u) => u.split('/').map(decodeURIComponent).join('/')).sort()).toEqual([
      'a#1/b?c.tf',
      'dir with spaces/ü&<x>.yaml',
    ]);
  });

  it('sarif: passes the code-scanning structure checks; an acknowledged finding is an accepted suppression', () => {
    const log = JSON.parse(formatFindings(report(all), 'sarif'));
    expect(sarifProblems(log)).toEqual([]);
    const results = log.runs[0].results as Array<Record<string, any>>;
    expect(results).toHaveLength(all.length);
    const ack = results.find((x) => x.partialFingerprints['portdriftFindingId/v1'] === acked.id)!;
    expect(ack.suppressions).toEqual([expect.objectContaining({ kind: 'external', status: 'accepted' })]);
    expect(ack.suppressions[0].justification).toContain('network policy rollout');
    expect(results.filter((x) => x.suppressions).length).toBe(1);
    // The check itself catches an unencoded name.
    const raw = JSON.parse(formatFindings(report([hostile]), 'sarif'));
    raw.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri = 'dir with spaces/ü&<x>.yaml';
    expect(sarifProblems(raw).join('\n')).toMatch(/"dir with spaces\/ü&<x>.yaml" is not a valid URI reference/);
    // An empty report is still a valid upload (it closes the alerts of earlier runs).
    expect(sarifProblems(JSON.parse(formatFindings(report([]), 'sarif')))).toEqual([]);
  });

  it('junit: well-formed with hostile text; acknowledged is skipped, not failed; counts agree', () => {
    const root = parseXml(formatFindings(r, 'junit'));
    const cases = root.children.flatMap((s) => s.children.filter((c) => c.name === 'testcase'));
    const failures = cases.filter((c) => c.children.some((x) => x.name === 'failure'));
    const skipped = cases.filter((c) => c.children.some((x) => x.name === 'skipped'));
    expect(failures).toHaveLength(all.length - 1);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.attrs.classname).toBe(`portdrift.unreachable.${acked.resource}`);
    const total = (a: string): number => root.children.reduce((n, s) => n + Number(s.attrs[a]), 0);
    expect(total('failures')).toBe(all.length - 1);
    expect(total('skipped')).toBe(1);
    expect(total('tests')).toBe(cases.length);
    const odd = failures.find((c) => c.attrs.classname === `portdrift.undeclared.${hostile.resource}`)!;
    expect(odd.children[0]!.text).toContain('iac: dir with spaces/ü&<x>.yaml:3');
    expect(odd.children[0]!.text).toContain('banner "\uFFFDHELLO]]> <b>&amp;</b>\uFFFD"');
    // No finding at all: every kind is one passing case.
    const empty = parseXml(formatFindings(report([]), 'junit'));
    expect(empty.children.map((s) => [s.attrs.tests, s.attrs.failures])).toEqual(Array(5).fill(['1', '0']));
  });

  it('markdown: one row per finding, each of the seven cells intact whatever the text holds', () => {
    const md = formatFindings(r, 'markdown');
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(2 + all.length);
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|').length - 2, row).toBe(7);
    expect(md).not.toMatch(/<script>|<b>/);
    expect(md).toContain('(acknowledged: network policy rollout)');
    expect(formatFindings(report([]), 'markdown').split('\n')[0]).toBe('### portdrift: no port drift');
  });
});
