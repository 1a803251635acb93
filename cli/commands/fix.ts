// `portdrift fix`: turn `moved` findings into a patch of the IaC files. It prints a unified diff
// (stdout) that changes each declared port to the observed one where its value is really written
// (the literal, or the variable default / tfvars value / parameter default it comes from), and
// on stderr what each edit changes and why anything was refused. `--write` applies the same
// edits, and nothing else, to the files. Exit 0 when every moved finding got an edit, 1 with
// PD_FIX_UNSAFE when any was refused (the others are still printed or written).
//
// The findings come from `--from FILE` (saved `scan` / `drift` JSON); the paths are the IaC the
// findings were computed from, extracted again here so the edit lands on today's text.
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PortdriftError } from '../../shared/errors.js';
import { readFindingsFile } from '../../shared/fix/findings-file.js';
import { type FixPlan, filesNeeded, planFixes } from '../../shared/fix/plan.js';
import { extract } from '../../shared/iac/extract.js';
import type { CliContext } from '../context.js';
import type { CommandFactory } from './index.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface FixOptions {
  from?: string;
  write?: boolean;
  state: string[];
  targets?: string;
  varFile: string[];
  parameters?: string;
  clusterDomain: string;
}

async function writeInPlace(path: string, expected: string, text: string): Promise<void> {
  // The file must still be what the plan was made from: never overwrite an edit made meanwhile.
  const now = await readFile(path, 'utf8');
  if (now !== expected) throw new PortdriftError('PD_FIX_UNSAFE', `${path} changed while the fix was being planned; nothing written to it`);
  const mode = (await stat(path)).mode & 0o7777;
  const tmp = join(resolve(path, '..'), `.${randomUUID().slice(0, 8)}.portdrift-fix.tmp`);
  await writeFile(tmp, text, { mode });
  await rename(tmp, path);
}

function explain(ctx: CliContext, plan: FixPlan, wrote: boolean): void {
  for (const e of plan.edits) {
    const also = e.alsoChanges.length ? `; the same value also feeds ${e.alsoChanges.join(', ')}, which change too` : '';
    ctx.err(`${wrote ? 'fixed' : 'fix'}: ${e.file}:${e.line} ${e.what}: ${e.from} → ${e.to} for ${e.resources.join(', ')}${also}\n`);
  }
  for (const r of plan.refused) ctx.err(`refused: ${r.resource}${r.where ? ` (${r.where})` : ''}: ${r.reason}\n`);
}

export const fixCommand: CommandFactory = (ctx, setExit) =>
  new Command('fix')
    .description('turn moved findings into a patch of the IaC files (a unified diff; --write applies it)')
    .argument('<paths...>', 'the IaC files and directories the findings were computed from')
    .option('--from <file>', 'findings saved from `portdrift scan --format json` or `portdrift drift --format json`')
    .option('--write', 'apply the edits to the files instead of only printing the diff')
    .option('--state <file>', 'Terraform state; repeat for several', collect, [])
    .option('--targets <file>', 'targets file mapping resource addresses or globs to hosts')
    .option('--var-file <file>', 'Terraform variable file; repeat for several', collect, [])
    .option('--parameters <file>', 'CloudFormation parameters file')
    .option('--cluster-domain <domain>', 'Kubernetes cluster domain for derived Service names', 'cluster.local')
    .action(async (paths: string[], opts: FixOptions) => {
      if (!opts.from) {
        throw new PortdriftError('PD_USAGE', 'fix needs --from FILE: the JSON of `portdrift scan --format json` or `portdrift drift --format json`');
      }
      const findings = await readFindingsFile(resolve(ctx.cwd, opts.from), opts.from);
      const model = await extract(
        paths,
        {
          stateFiles: opts.state,
          varFiles: opts.varFile,
          clusterDomain: opts.clusterDomain,
          ...(opts.targets ? { targetsFile: opts.targets } : {}),
          ...(opts.parameters ? { parametersFile: opts.parameters } : {}),
        },
        { cwd: ctx.cwd },
      );
      const texts = new Map<string, string>();
      for (const file of filesNeeded(findings, model.endpoints)) {
        try {
          texts.set(file, await readFile(join(model.root, file), 'utf8'));
        } catch {
          // planFixes refuses, with the reason, every edit in a file it was not given.
        }
      }
      const plan = planFixes(findings, model.endpoints, texts, model.unresolved);
      if (opts.write) {
        for (const c of plan.changes) await writeInPlace(join(model.root, c.file), c.before, c.after);
      }
      ctx.out(plan.diff);
      explain(ctx, plan, Boolean(opts.write));
      const moved = findings.length - plan.skipped;
      if (moved === 0) ctx.err('nothing to fix: no moved finding\n');
      else if (opts.write && plan.changes.length > 0) ctx.err(`wrote ${plan.changes.length} file${plan.changes.length === 1 ? '' : 's'} under ${model.root}\n`);
      if (plan.refused.length > 0) {
        throw new PortdriftError('PD_FIX_UNSAFE', `${plan.refused.length} of ${moved} moved finding${moved === 1 ? '' : 's'} not fixed (reasons above); edit ${plan.refused.length === 1 ? 'it' : 'them'} by hand`);
      }
      setExit(0);
    });
