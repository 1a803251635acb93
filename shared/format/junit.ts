// Findings → JUnit XML, the test-report format every CI system shows (GitLab `artifacts:reports:
// junit`, Jenkins, Azure DevOps, GitHub test-reporter actions). One test suite per finding kind,
// one failing test case per finding, so a pipeline's test tab lists each drift with its IaC
// file:line. A kind with no finding gets one passing case, so the report shows what was checked
// and an all-green run is visibly green, not empty. Acknowledged findings are skipped cases with
// the reason: still listed (DESIGN.md), but not failing anyone's pipeline view.
import type { DriftReport, Finding, FindingKind } from '../types.js';
import { joinPrefix } from './paths.js';

export interface JunitOptions {
  /**
   * Prefix joined to every `source.file` (relative to the IaC root). CI systems link a case's
   * `file` from the repository root, so a scan of `infra/` needs `infra` here (as SARIF does).
   */
  pathPrefix?: string;
}

const KINDS: readonly FindingKind[] = ['moved', 'missing', 'unreachable', 'undeclared', 'unobserved'];
const LIVE_KINDS: readonly FindingKind[] = ['config-drift', 'unmanaged-rule', 'missing-rule'];

// XML 1.0 allows only tab, LF, CR and chars ≥ 0x20 (minus the surrogate and FFFE/FFFF ranges);
// a finding message built from a hostile banner or file name must not break the document.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlEscape(text: string): string {
  return text
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attr = (name: string, value: string | number): string => ` ${name}="${xmlEscape(String(value))}"`;

function where(f: Finding, o: JunitOptions): string {
  return f.source ? `${joinPrefix(o.pathPrefix, f.source.file)}:${f.source.line}` : '(no IaC line)';
}

function details(f: Finding, o: JunitOptions): string {
  return [
    f.message,
    `suggestion: ${f.suggestion}`,
    `iac: ${where(f, o)}`,
    `endpoint: ${f.host}:${f.port}${f.observedPort !== undefined ? ` (observed on ${f.observedPort})` : ''}, state ${f.state ?? 'not observed'}`,
    `severity: ${f.severity}, agent: ${f.agent ?? '-'}, first seen ${f.firstSeen}, last seen ${f.lastSeen}`,
    `id: ${f.id}`,
  ].join('\n');
}

function testcase(f: Finding, o: JunitOptions): string {
  const head =
    `    <testcase` +
    attr('classname', `portdrift.${f.kind}.${f.resource}`) +
    attr('name', `${f.kind} ${f.host}:${f.port}${f.observedPort !== undefined ? ` → ${f.observedPort}` : ''}`) +
    (f.source ? attr('file', joinPrefix(o.pathPrefix, f.source.file)) + attr('line', f.source.line) : '') +
    attr('time', 0) +
    '>\n';
  const body = f.ack
    ? `      <skipped${attr('message', `acknowledged by ${f.ack.by}: ${f.ack.reason}${f.ack.expiresAt ? ` (until ${f.ack.expiresAt})` : ''}`)}/>\n`
    : `      <failure${attr('message', f.message)}${attr('type', `${f.kind}/${f.severity}`)}>${xmlEscape(details(f, o))}</failure>\n`;
  return `${head}${body}    </testcase>\n`;
}

export function formatJunit(report: DriftReport, options: JunitOptions = {}): string {
  // A run with the live layer also checked the three-way kinds: they get their passing case too.
  const kinds = report.summary.live ? [...KINDS, ...LIVE_KINDS] : KINDS;
  const byKind = new Map<FindingKind, Finding[]>(kinds.map((k) => [k, []]));
  for (const f of report.findings) {
    const list = byKind.get(f.kind);
    if (list) list.push(f);
    else byKind.set(f.kind, [f]); // a later kind (stale-rule, wrong-service) still gets a suite
  }
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  const suites: string[] = [];
  for (const [kind, list] of byKind) {
    const fail = list.filter((f) => !f.ack).length;
    const skip = list.length - fail;
    const count = Math.max(1, list.length);
    tests += count;
    failures += fail;
    skipped += skip;
    const cases =
      list.length > 0
        ? list.map((f) => testcase(f, options)).join('')
        : `    <testcase${attr('classname', `portdrift.${kind}`)}${attr('name', `no ${kind} findings`)}${attr('time', 0)}/>\n`;
    suites.push(
      `  <testsuite${attr('name', `portdrift ${kind}`)}${attr('tests', count)}${attr('failures', fail)}${attr('errors', 0)}${attr('skipped', skip)}${attr('time', 0)}${attr('timestamp', report.generatedAt)}>\n${cases}  </testsuite>\n`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites${attr('name', 'portdrift')}${attr('tests', tests)}${attr('failures', failures)}${attr('errors', 0)}${attr('skipped', skipped)}${attr('time', 0)}>\n` +
    suites.join('') +
    `</testsuites>\n`
  );
}
