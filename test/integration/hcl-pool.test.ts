// The HCL parser threads of shared/iac/terraform/hcl/parse-file.ts, which run only from the compiled output: the
// built module is imported here, so its pool parses in real worker threads, and its answers are
// compared with hcl2json on this thread (via the sources). A process that parsed must exit on its
// own (idle threads never keep it alive), and `portdrift extract` as a process must print the
// same model as the in-process fixtures.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadHcl2Json } from '../../shared/iac/terraform/hcl/hcl2json.js';

const repo = join(import.meta.dirname, '..', '..');
const built = join(repo, 'dist', 'shared', 'iac', 'terraform', 'hcl', 'parse-file.js');
const cli = join(repo, 'dist', 'cli', 'main.js');
const exec = promisify(execFile);
const tfBase = join(repo, 'test', 'fixtures', 'terraform');

type HclModule = typeof import('../../shared/iac/terraform/hcl/parse-file.js');

function file(i: number): string {
  return (
    `variable "p${i}" {\n  default = ${8000 + i}\n}\nresource "aws_security_group" "s${i}" {\n  ` +
    `ingress {\n    from_port = ${i + 1}\n    to_port   = var.p${i}\n    protocol  = "tcp"\n  }\n}\n`
  );
}

describe.skipIf(!existsSync(built))('HCL parser threads (needs `npx tsc -p tsconfig.json`)', () => {
  it('answer 200 concurrent parses exactly as hcl2json does on this thread, diagnostics included', async () => {
    const hcl = (await import(pathToFileURL(built).href)) as HclModule;
    const lib = await loadHcl2Json();
    const texts = Array.from({ length: 200 }, (_, i) => file(i));
    const [threaded, local] = await Promise.all([
      Promise.all(texts.map((t, i) => hcl.parseHcl(`f${i}.tf`, t))),
      Promise.all(texts.map((t, i) => lib.parse(`f${i}.tf`, t))),
    ]);
    expect(threaded).toEqual(local);
    expect(threaded[7]).toMatchObject({
      resource: { aws_security_group: { s7: [{ ingress: [{ from_port: 8, to_port: '${var.p7}' }] }] } },
    });

    const bad = 'resource "x" "y" {\n  port = 1\n  other =\n}\n';
    const err = await hcl.parseHcl('bad.tf', bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(hcl.HclParseError);
    expect((err as InstanceType<HclModule['HclParseError']>).diagnostics).toEqual([
      { line: 3, column: 10, message: expect.stringContaining('Invalid expression') },
    ]);
    // The threads still answer after a failed file.
    expect(await hcl.parseHcl('ok.tf', 'a = 1\n')).toEqual({ a: 1 });
  });

  it('a process that parsed exits by itself: idle parser threads do not keep it alive', async () => {
    const script =
      `import(${JSON.stringify(pathToFileURL(built).href)}).then(async (m) => { m.warmHclParser(50); ` +
      `const b = await Promise.all(Array.from({ length: 20 }, (_, i) => m.parseHcl('f.tf', ` +
      `'a = ' + i + '\\n'))); console.log(JSON.stringify(b.map((x) => x.a))); })`;
    // Against a process that only loads the module, run just before on the same machine: the
    // bound is on what the threads add (50 of them start, parse and end: seconds on a loaded
    // machine), while a pool that kept the process alive would run into the 30 s exec timeout.
    let t0 = Date.now();
    await exec(process.execPath, ['-e', `import(${JSON.stringify(pathToFileURL(built).href)})`], { timeout: 30_000 });
    const baseline = Date.now() - t0;
    t0 = Date.now();
    const r = await exec(process.execPath, ['-e', script], { timeout: 30_000 });
    expect(JSON.parse(r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(Date.now() - t0).toBeLessThan(baseline + 10_000);
  });

  it(
    'portdrift extract as a process (parser threads) prints ' +
      'the fixture model with state, and the broken file problem',
    async () => {
      const ok = await exec(
        process.execPath,
        [cli, 'extract', 'shop', '--state', 'state/terraform.tfstate', '--format', 'json'],
        { cwd: tfBase },
      );
      expect(JSON.parse(ok.stdout)).toEqual(JSON.parse(readFileSync(join(tfBase, 'expected', 'shop.v4.json'), 'utf8')));
      const broken = await exec(process.execPath, [cli, 'extract', 'broken', '--format', 'json'], { cwd: tfBase });
      const model = JSON.parse(broken.stdout) as {
        problems: { file: string; line: number; code: string }[];
        endpoints: unknown[];
      };
      expect(model.problems.map((p) => [p.file, p.line, p.code])).toEqual([['bad.tf', 3, 'PD_IAC_PARSE']]);
      expect(model.endpoints.length).toBeGreaterThan(0);
    },
  );
});
