// `--plan plan.json`: the hand-written plan of test/fixtures/plan (nested modules, module count,
// resource count, a registry module installed under .terraform/modules, a port known only after
// apply) read as the Terraform source, with file:line from the configuration beside it and
// hosts from its prior_state.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureCli } from '../../../cli-context.js';
import { runCli } from '../../../../cli/program.js';
import { PortdriftError } from '../../../../shared/errors.js';
import { extract } from '../../../../shared/iac/extract.js';
import { moduleCalls } from '../../../../shared/iac/plan.js';
import { fixtures } from './cases.js';

const plan = join(fixtures, 'plan');
const opts = { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local' };
const rows = (m: Awaited<ReturnType<typeof extract>>): string[] =>
  m.endpoints.map((e) => {
    const port = `${e.port}${e.toPort ? `-${e.toPort}` : ''}`;
    const role = `${e.role}${e.direction ? `/${e.direction}` : ''}`;
    return `${e.resource} ${e.host ?? '-'} ${port} ${role} ${e.source.file}:${e.source.line}`;
  });
const DB = 'module.db.module.instance';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portdrift-plan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('terraform plan JSON', () => {
  it('every module and count instance with its planned port, at the line of its configuration', async () => {
    const m = await extract(['.'], { ...opts, planFile: 'plan.json' }, { cwd: plan });
    expect(rows(m)).toEqual([
      'aws_lb_target_group.api[0] - 8080 listen main.tf:21',
      'aws_lb_target_group.api[1] - 8081 listen main.tf:21',
      'aws_security_group.web - 1-65535 allow/egress main.tf:33',
      'aws_security_group.web - 443 allow/ingress main.tf:27',
      'module.cache.aws_elasticache_cluster.this - 6380 listen .terraform/modules/cache/main.tf:9',
      `${DB}[0].aws_db_instance.this db-0.example.internal 5432 listen modules/db/instance/main.tf:8`,
      `${DB}[1].aws_db_instance.this - 5433 listen modules/db/instance/main.tf:8`,
    ]);
    // What the plan knows only after apply (after_unknown) is unresolved, not the engine's
    // default port; everything else the HCL alone could not evaluate, the plan did.
    expect(m.unresolved).toEqual([
      {
        resource: 'aws_db_instance.replica',
        attribute: 'port',
        expression: '(known after apply)',
        source: { file: 'main.tf', line: 43 },
      },
    ]);
    expect(m.problems).toEqual([]);
    const sources = m.resources.map((r) => `${r.address} ${r.source.file}:${r.source.line}`);
    expect(sources).toContain(`${DB}[1].aws_db_instance.this modules/db/instance/main.tf:5`);
    // A plan's values are Terraform's results, not text `fix` could edit at that line.
    expect(m.endpoints.filter((e) => e.origin)).toEqual([]);
    expect(JSON.stringify(m)).not.toContain('do-not-print-me');
  });

  it('without .terraform/modules.json: local sources give lines, a registry module the plan file', async () => {
    const d = join(dir, 'no-init');
    await cp(plan, d, { recursive: true });
    await rm(join(d, '.terraform'), { recursive: true });
    const m = await extract([d], { ...opts, planFile: join(d, 'plan.json') }, { cwd: '/' });
    expect(rows(m).filter((r) => r.startsWith('module.'))).toEqual([
      'module.cache.aws_elasticache_cluster.this - 6380 listen plan.json:1',
      `${DB}[0].aws_db_instance.this db-0.example.internal 5432 listen modules/db/instance/main.tf:8`,
      `${DB}[1].aws_db_instance.this - 5433 listen modules/db/instance/main.tf:8`,
    ]);
  });

  it('a file that is not a plan is PD_PLAN_INVALID, naming the file and never quoting it', async () => {
    await writeFile(join(dir, 'state.json'), '{"version": 4, "resources": []}');
    await writeFile(join(dir, 'broken.json'), '{\n  "format_version": "1.2",\n  "password": hunter2\n}');
    for (const [file, message] of [
      ['state.json', /^--plan state\.json: not a Terraform plan in JSON format 1\.x/],
      ['broken.json', /^--plan broken\.json(:3)?: not valid JSON$/],
    ] as const) {
      const failed = extract([plan], { ...opts, planFile: file }, { cwd: dir });
      const err = (await failed.catch((e: unknown) => e)) as PortdriftError;
      expect(err).toBeInstanceOf(PortdriftError);
      expect(err.code).toBe('PD_PLAN_INVALID');
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('hunter2');
    }
  });

  it('module addresses with count and for_each keys name their module calls', () => {
    expect(moduleCalls('module.a["x.y"].module.b[0].module.c')).toEqual(['a', 'b', 'c']);
    expect(moduleCalls('')).toEqual([]);
  });

  it('portdrift extract --plan (and scan takes the same flag)', async () => {
    const cli = captureCli({ stdoutIsTTY: false, stderrIsTTY: false, cwd: plan });
    const code = await runCli(['extract', '.', '--plan', 'plan.json', '--format', 'json'], cli.ctx);
    expect([code, cli.err()]).toEqual([0, '']);
    const out = JSON.parse(cli.out()) as { endpoints: { resource: string; port: number }[] };
    const db = out.endpoints.filter((e) => e.resource.includes('aws_db_instance'));
    expect(db.map((e) => e.port)).toEqual([5432, 5433]);
    const help = captureCli({ stdoutIsTTY: false, stderrIsTTY: false, cwd: plan });
    await runCli(['scan', '--help'], help.ctx);
    expect(help.out() + help.err()).toContain('--plan <file>');
  });
});
