// docs/ci.md promises only what the commands do: every `portdrift <command> … --flag` in its
// code blocks names a flag that command has, every `--format` value is one it accepts, and the
// `jq` rewrite it gives for collector SARIF produces URIs that resolve in the repository.
// Spawns the built binary (`npm run build` first).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sarifProblems } from './sarif-check.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const bin = join(repoRoot, 'dist', 'cli', 'main.js');
const doc = readFileSync(join(repoRoot, 'docs', 'ci.md'), 'utf8');

function portdrift(args: string[], cwd = repoRoot): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, timeout: 30_000 }, (err, out) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out }),
    );
  });
}

/** Every `portdrift …` command line inside the document's fenced code blocks. */
function commandLines(): string[] {
  const blocks = [...doc.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .flatMap((line) => [...line.matchAll(/portdrift\s+([a-z]+)([^|>&;#\n]*)/g)].map((m) => `${m[1]}${m[2]}`));
}

let tmp: string;
beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  tmp = mkdtempSync(join(tmpdir(), 'pd-ci-docs-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('docs/ci.md', () => {
  it('uses only flags and formats the commands have', async () => {
    const lines = commandLines();
    expect(lines.length).toBeGreaterThan(5);
    const help = new Map<string, string>();
    for (const line of lines) {
      const [command, ...rest] = line.trim().split(/\s+/);
      if (command === 'install') continue; // `npm install -g portdrift`
      if (!help.has(command!)) {
        const r = await portdrift([command!, '--help']);
        expect(r.code, `portdrift ${command} --help`).toBe(0);
        help.set(command!, r.out.replace(/\s+/g, ' '));
      }
      const text = help.get(command!)!;
      rest.forEach((word, i) => {
        if (!word.startsWith('--')) return;
        expect(text, `\`portdrift ${line.trim()}\`: ${word}`).toContain(` ${word} `);
        if (word === '--format') {
          const choices = /--format <format> .*?\(choices: ([^)]*)\)/.exec(text)?.[1] ?? '';
          expect(choices, `\`portdrift ${line.trim()}\``).toContain(`"${rest[i + 1]}"`);
        }
      });
    }
  });

  it('the --path-prefix the collector SARIF example gives makes URIs resolve from the repository root', async () => {
    const prefix = /portdrift drift [^\n]*--format sarif --path-prefix (\S+)/.exec(doc)?.[1];
    expect(prefix).toBe('infra');
    // URIs relative to an IaC root under infra/, as the collector writes them; the same formatter
    // and option serve scan, which needs no collector here.
    mkdirSync(join(tmp, 'infra'), { recursive: true });
    writeFileSync(join(tmp, 'infra', 'rds.tf'), 'resource "aws_db_instance" "orders" {\n  port = 1\n}\n');
    writeFileSync(
      join(tmp, 'infra', 'targets.yaml'),
      'targets:\n  - resource: aws_db_instance.orders\n    hosts: [169.254.169.254]\n',
    );
    const plain = await portdrift(
      ['scan', '.', '--targets', 'targets.yaml', '--format', 'sarif', '--path-prefix', '.'],
      join(tmp, 'infra'),
    );
    expect(plain.code).toBe(2);
    expect(sarifProblems(JSON.parse(plain.out), tmp).join('\n')).toMatch(/rds\.tf does not exist/);
    const fixed = await portdrift(
      ['scan', '.', '--targets', 'targets.yaml', '--format', 'sarif', '--path-prefix', prefix!],
      join(tmp, 'infra'),
    );
    const log = JSON.parse(fixed.out);
    expect(sarifProblems(log, tmp)).toEqual([]);
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('infra/rds.tf');
  });
});
