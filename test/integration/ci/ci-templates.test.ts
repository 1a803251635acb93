// The CI integrations users copy: the GitHub Action (action.yml + deploy/ci/github-action.sh)
// and the GitLab CI template (deploy/ci/gitlab-ci.yml). Their scripts run here as the CI runner
// would run them — bash with the action's env and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, sh
// for GitLab's script lines — with `portdrift` on PATH being the built binary, in a checkout
// whose IaC drifts against listeners on a random 127.x address (loopback only).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type Block, reserveBlock } from '../scan/loopback.js';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'cli', 'main.js');
let block: Block;
let repo: string;
let binDir: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  block = await reserveBlock(21);
  // b declared and closed, b+2 open: one `moved` finding (high).
  for (let i = 0; i < 21; i++) if (i !== 2) await block.release(i);
  repo = mkdtempSync(join(tmpdir(), 'pd-ci-templates-'));
  mkdirSync(join(repo, 'infra'));
  writeFileSync(join(repo, 'infra', 'rds.tf'), `resource "aws_db_instance" "orders" {\n  port = ${block.base}\n}\n`);
  writeFileSync(
    join(repo, 'infra', 'targets.yaml'),
    `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${block.host}]\n`,
  );
  binDir = join(repo, '.bin');
  mkdirSync(binDir);
  writeFileSync(
    join(binDir, 'portdrift'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"\n`,
  );
  chmodSync(join(binDir, 'portdrift'), 0o755);
});
afterAll(async () => {
  await block?.close();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

const ports = (): string => `${block.base}-${block.base + 20}`;
const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: `${binDir}:${process.env.PATH}`,
  HOME: repo,
  ...extra,
});

describe('GitHub Action (action.yml)', () => {
  const action = parseYaml(readFileSync(join(root, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    outputs: Record<string, { value: string }>;
    runs: { using: string; steps: Array<{ id?: string; env?: Record<string, string>; run: string }> };
  };

  it('every input it uses exists and every input is used; its outputs are ones the step writes', () => {
    expect(action.runs.using).toBe('composite');
    const text = readFileSync(join(root, 'action.yml'), 'utf8');
    const used = new Set(
      [...text.matchAll(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}|inputs\.([a-z-]+) !=/g)].map((m) => m[1] ?? m[2]!),
    );
    expect([...used].sort()).toEqual(Object.keys(action.inputs).sort());
    // Inputs reach scripts only through env, never spliced into `run:` (script injection).
    for (const s of action.runs.steps) expect(s.run).not.toMatch(/\$\{\{/);
    const script = readFileSync(join(root, 'deploy', 'ci', 'github-action.sh'), 'utf8');
    for (const [name, o] of Object.entries(action.outputs)) {
      expect(o.value).toBe(`\${{ steps.scan.outputs.${name} }}`);
      expect(script).toContain(`echo "${name}=`);
    }
  });

  function runStep(inputs: Record<string, string>): {
    code: number | null;
    outputs: Record<string, string>;
    summary: string;
    stderr: string;
    stdout: string;
  } {
    const step = action.runs.steps.find((s) => s.id === 'scan')!;
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.env!)) {
      const name = /\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/.exec(v)![1]!;
      vars[k] = inputs[name] ?? action.inputs[name]!.default ?? '';
    }
    const out = join(repo, 'gh-output');
    const summary = join(repo, 'gh-summary.md');
    writeFileSync(out, '');
    writeFileSync(summary, '');
    const r = spawnSync('bash', ['-c', step.run], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 60_000,
      env: env({
        ...vars,
        GITHUB_ACTION_PATH: root,
        GITHUB_OUTPUT: out,
        GITHUB_STEP_SUMMARY: summary,
        RUNNER_TEMP: repo,
      }),
    });
    const outputs = Object.fromEntries(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    return { code: r.status, outputs, summary: readFileSync(summary, 'utf8'), stderr: r.stderr, stdout: r.stdout };
  }

  it('scans, writes SARIF, outputs and the job summary, and fails the step on findings', () => {
    const r = runStep({ paths: 'infra/', targets: 'infra/targets.yaml', ports: ports() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.outputs).toEqual({ 'exit-code': '2', 'sarif-file': 'portdrift.sarif', findings: '1' });
    const sarif = JSON.parse(readFileSync(join(repo, 'portdrift.sarif'), 'utf8'));
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('infra/rds.tf');
    expect(r.summary).toMatch(/^### portdrift: 1 finding/);
    expect(r.stdout).toMatch(/::warning title=portdrift::1 finding/);
  });

  it('fail: false only reports; fail-on a kind that is absent passes; an error fails with exit-code 1', () => {
    expect(runStep({ paths: 'infra/', targets: 'infra/targets.yaml', ports: ports(), fail: 'false' }).code).toBe(0);
    const absent = runStep({
      paths: 'infra/',
      targets: 'infra/targets.yaml',
      ports: ports(),
      'fail-on': 'unreachable',
    });
    expect(absent.code).toBe(0);
    expect(absent.outputs['exit-code']).toBe('0');
    const bad = runStep({ paths: 'infra/', targets: 'infra/nowhere.yaml' });
    expect(bad.code).toBe(1);
    expect(bad.outputs['exit-code']).toBe('1');
    expect(bad.stdout).toMatch(/::error title=portdrift::/);
  });

  it('an input is data, not shell', () => {
    const r = runStep({
      paths: 'infra/ $(touch injected)',
      targets: 'infra/targets.yaml; touch injected2',
      ports: ports(),
    });
    expect(r.code).toBe(1);
    expect(existsSync(join(repo, 'injected'))).toBe(false);
    expect(existsSync(join(repo, 'injected2'))).toBe(false);
  });
});

describe('GitLab CI template (deploy/ci/gitlab-ci.yml)', () => {
  const job = (
    parseYaml(readFileSync(join(root, 'deploy', 'ci', 'gitlab-ci.yml'), 'utf8')) as Record<
      string,
      { script: string[]; variables: Record<string, string>; artifacts: { reports: { junit: string } } }
    >
  )['.portdrift']!;

  function runJob(vars: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
    // GitLab runs the lines in one shell and stops at the first that fails.
    const r = spawnSync('sh', ['-ec', job.script.join('\n')], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 90_000,
      env: env({ ...job.variables, PORTDRIFT_VERSION: '', ...vars }),
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('writes the JUnit report it declares, then fails the job on findings', () => {
    rmSync(join(repo, job.artifacts.reports.junit), { force: true });
    const r = runJob({ PORTDRIFT_PATHS: 'infra/', PORTDRIFT_ARGS: `--targets infra/targets.yaml --ports ${ports()}` });
    expect(r.code, r.stderr).toBe(2);
    const junit = readFileSync(join(repo, job.artifacts.reports.junit), 'utf8');
    expect(junit).toContain('<failure message="aws_db_instance.orders');
    expect(r.stdout).toMatch(/^### portdrift: 1 finding/);
  });

  it('passes when nothing reaches PORTDRIFT_FAIL_ON, and stops at the first line on an error', () => {
    expect(
      runJob({
        PORTDRIFT_PATHS: 'infra/',
        PORTDRIFT_ARGS: `--targets infra/targets.yaml --ports ${ports()}`,
        PORTDRIFT_FAIL_ON: 'unreachable',
      }).code,
    ).toBe(0);
    const bad = runJob({ PORTDRIFT_PATHS: 'infra/', PORTDRIFT_ARGS: '--targets infra/nowhere.yaml' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
  });
});
