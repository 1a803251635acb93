// The CI formats end to end, as a pipeline runs them: the built `portdrift` binary (dist/, so
// `npm run build` first) in a checkout whose IaC lives under infra/, run from the checkout root,
// probing real listeners on a random 127.x address (discovery restricted with --ports to a block
// this test owns). One finding of each kind a scan can produce here:
//   aws_db_instance.orders      variable default b (closed), b+2 open        → moved
//   aws_ecs_task_definition.api containerPort b+30 open (in sync), b+60 closed → missing
//   (nothing declares)          b+35 open                                    → undeclared
//   k8s:Deployment/shop/meta    on 169.254.169.254 (refused, never probed)   → unobserved
// Checked: SARIF against GitHub code scanning's structural requirements with every location
// resolving to the real `.tf` / `.yaml` line; JUnit well-formed with a failing case per finding;
// Markdown summary + table; exit codes and --fail-on as docs/ci.md states them; `fix` from the
// checkout root gives a diff `git apply` takes there; `drift` offers the same formats.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { type Block, reserveBlock } from '../scan/loopback.js';
import { sarifProblems } from './sarif-check.js';
import { type XmlElement, parseXml } from './xml.js';

const bin = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');
let block: Block;
let repo: string;
let b: number;
let host: string;
let scanArgs: string[];

function portdrift(args: string[], cwd = repo): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, out, errText) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errText });
      },
    );
  });
}

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  block = await reserveBlock(81);
  host = block.host;
  b = block.base + 10;
  const keepOpen = new Set([b + 2, b + 30, b + 35].map((p) => p - block.base));
  for (let i = 0; i < 81; i++) if (!keepOpen.has(i)) await block.release(i);
  repo = mkdtempSync(join(tmpdir(), 'pd-ci-'));
  const infra = join(repo, 'infra');
  mkdirSync(join(infra, 'k8s'), { recursive: true });
  writeFileSync(join(infra, 'variables.tf'), `variable "db_port" {\n  type    = number\n  default = ${b}\n}\n`);
  writeFileSync(
    join(infra, 'rds.tf'),
    `resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port   = var.db_port\n}\n`,
  );
  writeFileSync(
    join(infra, 'ecs.tf'),
    `resource "aws_ecs_task_definition" "api" {\n  family = "api"\n  container_definitions = jsonencode([\n    ` +
      `{\n      name = "api"\n      portMappings = [\n        { containerPort = ` +
      `${b + 30} },\n        { containerPort = ${b + 60} }\n      ]\n    }\n  ])\n}\n`,
  );
  writeFileSync(
    join(infra, 'k8s', 'meta.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: meta\n  namespace: shop\nspec:\n  template:\n    ' +
      'spec:\n      containers:\n        - name: meta\n          ' +
      'image: x\n          ports:\n            - containerPort: 80\n',
  );
  writeFileSync(
    join(infra, 'targets.yaml'),
    `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${host}]\n  - resource: ` +
      `aws_ecs_task_definition.api\n    hosts: [${host}]\n  - resource: ` +
      `"k8s:Deployment/shop/meta"\n    hosts: [169.254.169.254]\n`,
  );
  scanArgs = [
    'scan',
    'infra/',
    '--targets',
    'infra/targets.yaml',
    '--ports',
    `${b - 10}-${b + 70}`,
    '--timeout',
    '500ms',
  ];
});

afterAll(async () => {
  await block?.close();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

const KINDS = ['moved', 'missing', 'undeclared', 'unobserved'];

describe('CI formats of `portdrift scan`, from the checkout root', () => {
  it('json: one finding of each kind, exit 2', async () => {
    const r = await portdrift([...scanArgs, '--format', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out) as DriftReport;
    expect(doc.findings.map((f) => f.kind).sort()).toEqual([...KINDS].sort());
  });

  it('sarif: passes the code-scanning structure checks, and every result lands on the IaC line', async () => {
    const r = await portdrift([...scanArgs, '--format', 'sarif']);
    expect(r.code).toBe(2);
    const log = JSON.parse(r.out);
    expect(sarifProblems(log, repo)).toEqual([]);
    const results = log.runs[0].results as Array<Record<string, any>>;
    expect(results.map((x) => x.ruleId).sort()).toEqual([...KINDS].sort());
    const byRule = Object.fromEntries(results.map((x) => [x.ruleId, x]));
    const lineAt = (x: Record<string, any>): string => {
      // eslint-disable-line @typescript-eslint/no-explicit-any
      const loc = x.locations[0].physicalLocation;
      return readFileSync(join(repo, loc.artifactLocation.uri), 'utf8').split('\n')[loc.region.startLine - 1]!;
    };
    // The annotation lands on the line that declares the port, under infra/ (the repository path).
    expect(byRule.moved.locations[0].physicalLocation.artifactLocation.uri).toBe('infra/rds.tf');
    expect(lineAt(byRule.moved)).toBe('  port   = var.db_port');
    expect(byRule.moved.level).toBe('error');
    expect(byRule.moved.message.text).toContain(`variables.tf:3 variable "db_port" default ${b} → ${b + 2}`);
    expect(byRule.missing.locations[0].physicalLocation.artifactLocation.uri).toBe('infra/ecs.tf');
    expect(lineAt(byRule.missing)).toContain(`containerPort = ${b + 60}`);
    expect(byRule.unobserved.locations[0].physicalLocation.artifactLocation.uri).toBe('infra/k8s/meta.yaml');
    expect(lineAt(byRule.unobserved)).toContain('containerPort: 80');
    expect(byRule.unobserved.level).toBe('note');
    // An undeclared port has no IaC line: attached to the IaC root (a directory), no region.
    expect(byRule.undeclared.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'infra/', uriBaseId: '%SRCROOT%' },
    });
    // Fingerprints are the stable finding ids: a second run gives the same ones.
    const again = JSON.parse((await portdrift([...scanArgs, '--format', 'sarif'])).out);
    const prints = (l: typeof log) =>
      l.runs[0].results.map((x: { partialFingerprints: unknown }) => x.partialFingerprints).sort();
    expect(prints(again)).toEqual(prints(log));
  });

  it('the SARIF checks are not vacuous: they catch what GitHub rejects', async () => {
    const log = JSON.parse((await portdrift([...scanArgs, '--format', 'sarif'])).out);
    const broken = structuredClone(log);
    broken.version = '2.0.0';
    delete broken.runs[0].tool.driver.name;
    broken.runs[0].results[0].locations = [];
    broken.runs[0].results[1].level = 'fatal';
    broken.runs[0].results[2].ruleId = 'nope';
    delete broken.runs[0].results[3].partialFingerprints;
    const problems = sarifProblems(broken, repo);
    for (const want of [
      /^version/,
      /driver\.name/,
      /results\[0\]\.locations/,
      /results\[1\]\.level/,
      /results\[2\]\.ruleId: nope/,
      /results\[3\]\.partialFingerprints/,
    ]) {
      expect(
        problems.some((x) => want.test(x)),
        String(want),
      ).toBe(true);
    }
    const moved = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'moved');
    moved.locations[0].physicalLocation.region.startLine = 0;
    moved.locations[0].physicalLocation.artifactLocation.uri = 'rds.tf';
    expect(sarifProblems(log, repo).join('\n')).toMatch(
      /startLine: 0, expected an integer ≥ 1[\s\S]*rds\.tf does not exist/,
    );
  });

  it(
    'junit: well-formed XML, a suite per kind, a failing case per ' +
      'finding with its IaC file (from the repository root) and line',
    async () => {
      const r = await portdrift([...scanArgs, '--format', 'junit']);
      expect(r.code).toBe(2);
      const root = parseXml(r.out);
      expect(root.name).toBe('testsuites');
      const suites = root.children;
      expect(suites.every((s) => s.name === 'testsuite')).toBe(true);
      // A suite is <properties>, its cases, <system-out> and <system-err>, in that order (Ant's schema).
      const casesOf = (s: XmlElement): XmlElement[] => s.children.filter((c) => c.name === 'testcase');
      for (const s of suites) {
        const names = s.children.map((c) => c.name);
        expect(names, s.attrs.name).toEqual([
          'properties',
          ...casesOf(s).map(() => 'testcase'),
          'system-out',
          'system-err',
        ]);
      }
      const cases = suites.flatMap(casesOf);
      const failing = cases.filter((c) => c.children.some((x) => x.name === 'failure'));
      expect(failing).toHaveLength(4);
      // The counts agree with the elements, per suite and in total.
      for (const s of suites) {
        expect(Number(s.attrs.tests), s.attrs.name).toBe(casesOf(s).length);
        expect(Number(s.attrs.failures), s.attrs.name).toBe(
          casesOf(s).filter((c) => c.children.some((x) => x.name === 'failure')).length,
        );
      }
      expect(root.attrs).toEqual({});
      expect(suites.reduce((n, s) => n + Number(s.attrs.failures), 0)).toBe(4);
      const failure = (kind: string): { tc: XmlElement; f: XmlElement } => {
        const tc = failing.find((c) => c.attrs.classname!.startsWith(`portdrift.${kind}.`))!;
        return { tc, f: tc.children.find((x) => x.name === 'failure')! };
      };
      const moved = failure('moved');
      expect(moved.tc.attrs).toEqual({
        classname: 'portdrift.moved.aws_db_instance.orders',
        name: `moved ${host}:${b} → ${b + 2}`,
        time: '0',
      });
      const out = (kind: string): string =>
        suites.find((s) => s.attrs.name === `portdrift ${kind}`)!.children.find((c) => c.name === 'system-out')!.text;
      expect(out('moved')).toBe(`moved ${host}:${b} → ${b + 2}: infra/rds.tf:3\n`);
      expect(existsSync(join(repo, 'infra/rds.tf'))).toBe(true);
      expect(moved.f.attrs.type).toBe('moved/high');
      expect(moved.f.text).toContain('iac: infra/rds.tf:3');
      expect(moved.f.text).toContain(`suggestion: variables.tf:3 variable "db_port" default ${b} → ${b + 2}`);
      expect(failure('missing').f.text).toContain('iac: infra/ecs.tf:8');
      expect(out('undeclared')).toMatch(/: \(no IaC line\)\n$/);
      // A kind with no finding is a passing case, so a green run is visibly green.
      const unreachable = suites.find((s) => s.attrs.name === 'portdrift unreachable')!;
      expect(casesOf(unreachable)).toHaveLength(1);
      expect(casesOf(unreachable)[0]!.children).toEqual([]);
    },
  );

  it('markdown: a verdict heading, the summary line and a table row per finding', async () => {
    const r = await portdrift([...scanArgs, '--format', 'markdown']);
    expect(r.code).toBe(2);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('### portdrift: 4 findings');
    expect(r.out).toMatch(/^4 findings \(1 moved, 1 missing, 1 undeclared, 1 unobserved\); 3 resources, .* checked/m);
    const table = lines.filter((l) => l.startsWith('|'));
    const cells = (l: string): number => l.replace(/\\\|/g, '').split('|').length - 2;
    expect(table[0]).toBe('| Severity | Kind | Resource | Endpoint | IaC | Message | Suggestion |');
    expect(table[1]).toBe('| --- | --- | --- | --- | --- | --- | --- |');
    expect(table).toHaveLength(2 + 4);
    for (const row of table) expect(cells(row), row).toBe(7);
    expect(
      table.some((l) =>
        l.startsWith(`| high | moved | aws\\_db\\_instance.orders | ${host}:${b} → ${b + 2} | rds.tf:3 |`),
      ),
    ).toBe(true);
  });

  it(
    'exit codes: --fail-on high fails, --fail-on a kind that ' +
      'is absent passes, a bad flag is 1 with nothing on stdout',
    async () => {
      expect((await portdrift([...scanArgs, '--format', 'junit', '--fail-on', 'high'])).code).toBe(2);
      expect((await portdrift([...scanArgs, '--format', 'sarif', '--fail-on', 'unreachable'])).code).toBe(0);
      const bad = await portdrift([...scanArgs, '--format', 'xml']);
      expect(bad.code).toBe(1);
      expect(bad.out).toBe('');
      expect(bad.err).toMatch(/xml/);
      const unreadable = await portdrift(['scan', 'nowhere/', '--format', 'sarif']);
      expect(unreadable.code).toBe(1);
      expect(unreadable.out).toBe('');
    },
  );

  it('fix from the checkout root: exit 0, a diff that `git apply` takes there, the IaC untouched', async () => {
    const before = readFileSync(join(repo, 'infra', 'variables.tf'), 'utf8');
    const r = await portdrift(['fix', ...scanArgs.slice(1)]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      `fix: variables.tf:3 variable "db_port" default: ${b} → ${b + 2} for aws_db_instance.orders`,
    );
    expect(r.out).toMatch(/^--- a\/infra\/variables.tf\n\+\+\+ b\/infra\/variables.tf\n/);
    writeFileSync(join(repo, 'portdrift-fix.diff'), r.out);
    execFileSync('git', ['apply', '--check', 'portdrift-fix.diff'], { cwd: repo, stdio: 'pipe' });
    expect(readFileSync(join(repo, 'infra', 'variables.tf'), 'utf8')).toBe(before);
  });

  it('`portdrift drift` offers the same formats', async () => {
    const r = await portdrift(['drift', '--help']);
    expect(r.code).toBe(0);
    expect(r.out.replace(/\s+/g, ' ')).toMatch(
      /--format <format> [^-]*\(choices: "table", "json", "markdown", "sarif", "junit", "jsonl"\)/,
    );
  });
});
