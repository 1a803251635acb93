// `portdrift extract` end to end: in-process through runCli (captured stdout/stderr, exit code)
// and once as a real process over a pipe (the default format off a TTY is json).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../cli-context.js';
import { runCli } from '../../cli/program.js';
import type { DeclaredModel } from '../../shared/types.js';
import { rx } from '../rx.js';

const repo = join(import.meta.dirname, '..', '..');
const fixtures = join(repo, 'test', 'fixtures');

async function run(argv: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  const cli = captureCli({ stdoutIsTTY: tty, stderrIsTTY: tty, cwd: fixtures });
  const code = await runCli(['extract', ...argv], cli.ctx);
  return { code, out: cli.out(), err: cli.err() };
}

/** The expected model as the JSON output shows it: endpoints' `origin` and resources' `pods` are internal. */
function expectedOutput(name: string): unknown {
  const model = JSON.parse(readFileSync(join(fixtures, 'expected', `${name}.json`), 'utf8')) as DeclaredModel;
  const resources = model.resources.map(({ pods: _p, ...r }) => r);
  return { version: 1, ...model, resources, endpoints: model.endpoints.map(({ origin: _o, ...e }) => e) };
}

describe('portdrift extract', () => {
  it('--format json prints the extraction output, version 1, without internal origins; exit 0', async () => {
    const r = await run([
      'cloudformation/orders.yaml',
      'kubernetes/shop.yaml',
      'compose',
      '--targets',
      'targets/targets.yaml',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(expectedOutput('targets'));
    expect(Object.keys(JSON.parse(r.out))).toEqual(['version', 'resources', 'endpoints', 'unresolved', 'problems']);
    expect(r.out).not.toContain('"origin"');
    expect(r.err).toBe(
      'portdrift: 1 problem (everything else was extracted):\n  compose/docker-compose.yml:51: compose:worker ' +
        'services.worker.ports[3]: "not-a-port" is not a port, a range or PORT/PROTOCOL [PD_IAC_SHAPE]\n',
    );
  });

  it('defaults to a table on a terminal and json off one', async () => {
    const table = await run(['kubernetes'], true);
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^RESOURCE\s+HOST\s+PORT\s+PROTO\s+ROLE\s+SOURCE$/);
    expect(table.out).toMatch(
      /k8s:Service\/shop\/cart\s+cart\.shop\.svc\.cluster\.local\s+80\s+tcp\s+listen\s+shop\.yaml:61/,
    );
    expect(table.out).toContain('Unresolved (not known before deployment; listed, never guessed):');
    expect(table.out).toMatch(/k8s:Service\/shop\/cart\s+spec\.ports\[3\]\.targetPort\s+pprof\s+shop\.yaml:71/);
    expect(table.out).toContain('12 resources, 21 endpoints on 4 hosts, 13 without a host, 3 unresolved, 0 problems');
    const json = await run(['kubernetes']);
    expect(JSON.parse(json.out)).toEqual(expectedOutput('kubernetes'));
  });

  it('a mix of good and broken files: the good ones are extracted, every problem is listed, exit 0', async () => {
    const r = await run(['broken', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(expectedOutput('broken'));
    expect(r.err.split('\n')).toEqual([
      'portdrift: 6 problems (everything else was extracted):',
      '  binary.yaml: file is binary (it contains NUL bytes), not IaC text; not extracted [PD_IAC_BINARY]',
      '  empty.yaml:1: file is empty (no YAML/JSON document, only ' +
        'whitespace, comments or `---`); nothing to extract [PD_IAC_EMPTY]',
      '  notes.json:1: not recognised as terraform, cloudformation, kubernetes, compose; not extracted [PD_IAC_SHAPE]',
      '  syntax-error.yaml:8: YAML does not parse: Flow map in block collection ' +
        'must be sufficiently indented and end with a } (BAD_INDENT) [PD_IAC_PARSE]',
      '  syntax-error.yaml:8: YAML does not parse: Flow sequence in block collection ' +
        'must be sufficiently indented and end with a ] (BAD_INDENT) [PD_IAC_PARSE]',
      '  unknown-tag.yaml:7: unknown YAML tag !Custom (not a CloudFormation ' +
        'intrinsic function); the value under it is not extracted [PD_IAC_UNKNOWN_TAG]',
      '',
    ]);
  });

  it('exit 1 when nothing could be read, when the targets file is invalid, and on bad arguments', async () => {
    const nothing = await run(['broken/binary.yaml', 'no-such-dir']);
    expect(nothing.code).toBe(1);
    expect(nothing.out).toBe('');
    expect(nothing.err).toMatch(/^portdrift: no IaC file could be read from broken\/binary.yaml, no-such-dir:\n/);
    expect(nothing.err).toMatch(/\[PD_IAC_NOTHING_READ\]\n$/);
    const targets = await run(['compose', '--targets', 'targets/invalid.yaml']);
    expect(targets.code).toBe(1);
    expect(targets.err).toContain(
      'targets/invalid.yaml:5: targets[2].hosts[0]: `not a host` is not an IP address or DNS name [PD_TARGETS_INVALID]',
    );
    // Commander's own errors read like every other error: `portdrift: … [PD_USAGE]`.
    const xml = await run(['compose', '--format', 'xml']);
    expect(xml.code).toBe(1);
    expect(xml.err).toMatch(
      rx(
        /^portdrift: option '--format <format>' argument 'xml' is invalid\. /,
        /Allowed choices are table, json\. \[PD_USAGE\]\n/,
      ),
    );
    expect(await run([])).toMatchObject({ code: 1, err: "portdrift: missing required argument 'paths' [PD_USAGE]\n" });
    expect((await run(['compose', '--bogus'])).err).toMatch(/^portdrift: unknown option '--bogus' \[PD_USAGE\]\n/);
    expect((await run(['compose', '--cluster-domain', 'bad domain'])).err).toContain('[PD_USAGE]');
  });

  it('--parameters: the parameters file value wins over the Default', async () => {
    const r = await run([
      'cloudformation/orders.yaml',
      '--parameters',
      'cloudformation/orders.parameters.json',
      '--format',
      'json',
    ]);
    expect(JSON.parse(r.out)).toEqual(expectedOutput('cloudformation-parameters'));
    expect(JSON.parse(r.out).endpoints.find((e: { resource: string }) => e.resource === 'cfn:OrdersDb').port).toBe(
      5433,
    );
  });

  const built = existsSync(join(repo, 'dist', 'cli', 'main.js'));
  it.skipIf(!built)(
    'as a process writing into a pipe: json by default, exit codes 0 and 1 (needs `npx tsc -p tsconfig.json`)',
    async () => {
      const exec = promisify(execFile);
      const ok = await exec(process.execPath, [join(repo, 'dist', 'cli', 'main.js'), 'extract', 'compose'], {
        cwd: fixtures,
      });
      expect(JSON.parse(ok.stdout)).toEqual(expectedOutput('compose'));
      const bad = await exec(process.execPath, [join(repo, 'dist', 'cli', 'main.js'), 'extract', 'broken/README.md'], {
        cwd: fixtures,
      }).catch((e: { code: number; stderr: string }) => e);
      expect((bad as { code: number }).code).toBe(1);
      expect((bad as { stderr: string }).stderr).toContain('[PD_IAC_NOTHING_READ]');
    },
  );
});
