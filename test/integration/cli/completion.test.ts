// `portdrift completion bash|zsh|fish` from the built binary, loaded into the real shells:
// bash runs the completion function with COMP_WORDS as readline would set them; fish answers
// `complete -C` for a command line; zsh runs the function with its completion builtins replaced
// by ones that print what they are given (completion proper needs a terminal). A shell that is
// not installed skips its test and says so (CI has bash; zsh and fish are optional).
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'cli', 'main.js');
const has = (shell: string): boolean => spawnSync(shell, ['-c', 'exit 0']).status === 0;
const shells = { bash: has('bash'), zsh: has('zsh'), fish: has('fish') };
for (const [s, ok] of Object.entries(shells))
  if (!ok) console.warn(`completion.test.ts: ${s} is not installed, its completion test is skipped`);

let dir: string;
const scripts: Record<string, string> = {};

function portdrift(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 30_000 }, (err, out, e) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: e }),
    );
  });
}

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  dir = mkdtempSync(join(tmpdir(), 'pd-completion-'));
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await portdrift(['completion', shell]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    scripts[shell] = join(dir, `portdrift.${shell}`);
    writeFileSync(scripts[shell]!, r.out);
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What bash offers after these words (the last one is the word being completed). */
function bashComplete(...words: string[]): string[] {
  const script =
    `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} ` +
    `- 1 )); COMPREPLY=(); _portdrift; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', scripts.bash!, 'portdrift', ...words], {
    cwd: root,
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('completion', () => {
  it('an unknown shell is a usage error naming the choices', async () => {
    const r = await portdrift(['completion', 'tcsh']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/bash, zsh, fish.*\[PD_USAGE\]/);
  });

  it.skipIf(!shells.bash)('bash: commands, subcommands, flags, --format choices, kinds, files', () => {
    expect(bashComplete('sc')).toEqual(['scan']);
    expect(bashComplete('')).toEqual(expect.arrayContaining(['scan', 'probe', 'drift', 'completion', 'help']));
    expect(bashComplete('scan', '--fo')).toEqual(['--format']);
    expect(bashComplete('scan', 'infra/', '--format', '')).toEqual([
      'json',
      'jsonl',
      'junit',
      'markdown',
      'sarif',
      'table',
    ]);
    expect(bashComplete('scan', '--fail-on', 'h')).toEqual(['high']);
    expect(bashComplete('drift', '--kind', 'm')).toEqual(['missing', 'missing-rule', 'moved']);
    expect(bashComplete('token', 'c')).toEqual(['create']);
    expect(bashComplete('token', 'create', '--role', '')).toEqual(['admin', 'agent', 'enroll', 'reader']);
    expect(bashComplete('completion', '')).toEqual(['bash', 'fish', 'zsh']);
    expect(bashComplete('scan', 'exam')).toEqual(['examples']);
    expect(bashComplete('scan', '--targets', 'examples/tar')).toEqual(['examples/targets.yaml']);
    // A value that can be anything gets no suggestion, not the flags.
    expect(bashComplete('probe', '--ports', '')).toEqual([]);
    expect(bashComplete('-')).toEqual(['--help', '--version', '-V', '-h']);
  });

  it.skipIf(!shells.fish)('fish: `complete -C` offers the same', () => {
    const complete = (line: string): string[] => {
      const r = spawnSync(
        'fish',
        ['--no-config', '-c', `source ${JSON.stringify(scripts.fish)}; complete -C ${JSON.stringify(line)}`],
        { cwd: root, encoding: 'utf8', timeout: 10_000 },
      );
      expect(r.stderr).toBe('');
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!)
        .sort();
    };
    expect(complete('portdrift sc')).toEqual(['scan']);
    expect(complete('portdrift scan --format ')).toEqual(['json', 'jsonl', 'junit', 'markdown', 'sarif', 'table']);
    expect(complete('portdrift token c')).toEqual(['create']);
    expect(complete('portdrift scan --fo')).toEqual(['--format']);
  });

  it.skipIf(!shells.zsh)('zsh: the function offers the same (builtins replaced by printers)', () => {
    const complete = (...words: string[]): string[] => {
      // _describe gets an array name; print the names before the colon. compadd prints its words.
      const stubs =
        `_describe() { local -a a; a=("\${(@P)2}"); print -l -- "\${a[@]%%:*}"; }; compadd() { shift; ` +
        `print -l -- "$@"; }; _files() { print -- FILES; }; _hosts() { print -- HOSTS; }; compdef() { :; }`;
      const script =
        `${stubs}; source ${JSON.stringify(scripts.zsh)}; words=(portdrift ` +
        `${words.map((w) => JSON.stringify(w)).join(' ')}); CURRENT=\${#words}; _portdrift`;
      const r = spawnSync('zsh', ['-f', '-c', script], { cwd: root, encoding: 'utf8', timeout: 10_000 });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    expect(complete('sc')).toContain('scan');
    expect(complete('scan', '--format', '')).toEqual(['json', 'jsonl', 'junit', 'markdown', 'sarif', 'table']);
    expect(complete('token', '')).toEqual(['create', 'list', 'revoke']);
    expect(complete('scan', '--state', '')).toEqual(['FILES']);
    expect(complete('probe', '')).toEqual(['HOSTS']);
    expect(complete('scan', '-')).toContain('--fail-on');
  });
});
