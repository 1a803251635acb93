// `--format junit` validates against the Apache Ant JUnit schema (test/fixtures/schemas/), the
// strictest JUnit dialect CI systems read, checked by libxml2's `xmllint --schema`: the JUnit of
// the demo's scan (the examples/ IaC through the built binary, findings of several kinds), of a
// scan with no finding at all, and of a collector-shaped report with an acknowledged finding and
// hostile text. Needs `npm run build`; CI installs xmllint (libxml2-utils), a machine without it
// skips these tests and says why.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJunit } from '../../../shared/format/junit.js';
import { acked, finding, missing, moved, report, undeclared } from '../../fixtures/findings.js';
import { type Block, reserveBlock } from '../scan/loopback.js';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'cli', 'main.js');
const xsd = join(root, 'test', 'fixtures', 'schemas', 'junit-ant.xsd');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
if (!hasXmllint)
  console.warn('junit-schema.test.ts: skipped, xmllint is not installed (apt-get install libxml2-utils)');

let dir: string;
let block: Block | undefined;

/** xmllint's verdict on one document: '' when valid, its complaints otherwise. */
function validate(xml: string): string {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? '' : `exit ${r.status}: ${r.stderr}`;
}

function portdrift(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, out, e) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: e });
      },
    );
  });
}

describe.skipIf(!hasXmllint)('JUnit output against the Ant JUnit schema (xmllint)', () => {
  beforeAll(() => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), 'pd-junit-'));
  });
  afterAll(async () => {
    await block?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the check is not vacuous: what the schema forbids is rejected', () => {
    expect(validate('<testsuites><testsuite name="x"/></testsuites>')).toMatch(/exit [1-9]/);
    const good = formatJunit(report([moved]));
    expect(validate(good)).toBe('');
    // A `file` attribute on a case (the former output) and attributes on <testsuites> are not Ant.
    expect(validate(good.replace('<testcase ', '<testcase file="rds.tf" '))).toMatch(/file.*not allowed/);
    expect(validate(good.replace('<testsuites>', '<testsuites tests="5">'))).toMatch(/tests.*not allowed/);
  });

  it("the demo's scan: findings of several kinds, valid", async () => {
    // The demo's IaC with none of its services running (the demo test may run them meanwhile:
    // the findings then differ, the validity must not). Loopback hosts 127.0.0.11-14 only.
    const args = ['scan', 'infra', 'k8s', '--state', 'infra/terraform.tfstate', '--targets', 'targets.yaml'];
    const r = await portdrift(
      [...args, '--ports', '25430-25435,26379', '--timeout', '300ms', '--format', 'junit'],
      join(root, 'examples'),
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(2);
    expect(r.out.match(/<failure /g)?.length ?? 0).toBeGreaterThan(1);
    expect(validate(r.out)).toBe('');
  });

  it('a scan with no finding: every kind one passing case, valid', async () => {
    block = await reserveBlock(1);
    const iac = join(dir, 'infra');
    execFileSync('mkdir', ['-p', iac]);
    writeFileSync(join(iac, 'rds.tf'), `resource "aws_db_instance" "orders" {\n  port = ${block.base}\n}\n`);
    writeFileSync(
      join(iac, 'targets.yaml'),
      `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${block.host}]\n`,
    );
    const r = await portdrift(
      ['scan', 'infra', '--targets', 'infra/targets.yaml', '--ports', String(block.base), '--format', 'junit'],
      dir,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('<failure');
    expect(r.out.match(/<testcase /g)).toHaveLength(5);
    expect(validate(r.out)).toBe('');
  });

  it('a collector report: acknowledged (skipped), no IaC line, hostile text, valid', () => {
    const hostile = finding({
      kind: 'undeclared',
      id: 'f_hostile05',
      resource: 'compose:web|<script>',
      source: { file: 'dir with spaces/ü&<x>.yaml', line: 3 },
      message: 'banner "\u0007HELLO]]> <b>&amp;</b>\u0000"\nnewlines',
    });
    const xml = formatJunit(report([moved, missing, undeclared, acked, hostile], '2026-11-24T09:00:00.123+02:00'), {
      pathPrefix: 'infra',
    });
    expect(validate(xml)).toBe('');
    expect(xml).toContain('timestamp="2026-11-24T07:00:00"');
    expect(xml).toContain('<skipped message="acknowledged by ops@example.com');
  });
});
