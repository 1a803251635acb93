// Findings → JUnit XML, the test-report format every CI system shows (GitLab `artifacts:reports:
// junit`, Jenkins, Azure DevOps, GitHub test-reporter actions). One test suite per finding kind,
// one failing test case per finding, so a pipeline's test tab lists each drift with its IaC
// file:line. A kind with no finding gets one passing case, so the report shows what was checked
// and an all-green run is visibly green, not empty. Acknowledged findings are skipped cases with
// the reason: still listed, but not failing anyone's pipeline view.
//
// The document is valid against the Apache Ant JUnit schema (test/fixtures/schemas/), the
// strictest of the JUnit dialects CI systems read: `<testsuites>` carries no attributes, each
// suite has its `package`, `id`, `hostname`, a zone-less `timestamp`, `<properties>`,
// `<system-out>` and `<system-err>`, and a case has only `classname`, `name` and `time`. The IaC
// `file:line` of a case is therefore in its failure text and in its suite's `<system-out>`, not in
// a `file` attribute the schema does not allow. Case names never hold the line, so a CI system
// tracking a case across runs does not see a new test when a line moves.
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
const LIVE_KINDS: readonly FindingKind[] = ['config-drift', 'unmanaged-rule', 'missing-rule', 'stale-rule'];

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

const until = (at: string | undefined | null): string => (at ? ` (until ${at})` : '');

function where(f: Finding, o: JunitOptions): string {
  return f.source ? `${joinPrefix(o.pathPrefix, f.source.file)}:${f.source.line}` : '(no IaC line)';
}

function details(f: Finding, o: JunitOptions): string {
  return [
    f.message,
    `suggestion: ${f.suggestion}`,
    `iac: ${where(f, o)}`,
    `endpoint: ${f.host}:${f.port}${f.observedPort !== undefined ? ` (observed on ${f.observedPort})` : ''}` +
      `, state ${f.state ?? 'not observed'}`,
    ...(f.expectedService !== undefined ? [`expected service: ${f.expectedService}`] : []),
    ...(f.observedService !== undefined ? [`observed service: ${f.observedService}`] : []),
    `severity: ${f.severity}, agent: ${f.agent ?? '-'}, first seen ${f.firstSeen}, last seen ${f.lastSeen}`,
    `id: ${f.id}`,
  ].join('\n');
}

const caseName = (f: Finding): string =>
  `${f.kind} ${f.host}:${f.port}${f.observedPort !== undefined ? ` → ${f.observedPort}` : ''}`;

function testcase(f: Finding, o: JunitOptions): string {
  const head =
    `    <testcase` +
    attr('classname', `portdrift.${f.kind}.${f.resource}`) +
    attr('name', caseName(f)) +
    attr('time', 0) +
    '>\n';
  const body = f.ack
    ? `      <skipped` +
      `${attr('message', `acknowledged by ${f.ack.by}: ${f.ack.reason}${until(f.ack.expiresAt)}`)}/>\n`
    : `      <failure${attr('message', f.message)}${attr('type', `${f.kind}/${f.severity}`)}` +
      `>${xmlEscape(details(f, o))}</failure>\n`;
  return `${head}${body}    </testcase>\n`;
}

/** The schema's timestamp is `YYYY-MM-DDThh:mm:ss` with no zone: the report's time in UTC. */
function timestamp(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '1970-01-01T00:00:00' : t.toISOString().slice(0, 19);
}

/** One line per case with an IaC location, for the suite's `<system-out>`. */
function locations(list: readonly Finding[], o: JunitOptions): string {
  return list.map((f) => `${caseName(f)}: ${where(f, o)}\n`).join('');
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
  const suites: string[] = [];
  for (const [kind, list] of byKind) {
    const fail = list.filter((f) => !f.ack).length;
    const skip = list.length - fail;
    const count = Math.max(1, list.length);
    const cases =
      list.length > 0
        ? list.map((f) => testcase(f, options)).join('')
        : `    <testcase` +
          `${attr('classname', `portdrift.${kind}`)}${attr('name', `no ${kind} findings`)}${attr('time', 0)}/>\n`;
    const head =
      `  <testsuite` +
      attr('name', `portdrift ${kind}`) +
      // `package` and `id` are what the schema asks of a suite inside <testsuites>. The report
      // comes from a scan or a collector, not from one machine's test run, hence 'localhost',
      // the schema's own word for "no meaningful host".
      attr('package', 'portdrift') +
      attr('id', suites.length) +
      attr('hostname', 'localhost') +
      attr('timestamp', timestamp(report.generatedAt)) +
      attr('tests', count) +
      attr('failures', fail) +
      attr('errors', 0) +
      attr('skipped', skip) +
      attr('time', 0) +
      '>\n';
    suites.push(
      `${head}    <properties/>\n${cases}` +
        `    <system-out>${xmlEscape(locations(list, options))}</system-out>\n    <system-err></system-err>\n` +
        `  </testsuite>\n`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('')}</testsuites>\n`;
}
