// `portdrift fix`: turn `moved` findings into a patch of the IaC files. It prints a unified diff
// (stdout) that changes each declared port to the observed one where its value is really written
// (the literal, or the variable default / tfvars value / parameter default it comes from), and
// on stderr what each edit changes and why anything was refused. `--write` applies the same
// edits, and nothing else, to the files. Exit 0 when every moved finding got an edit, 1 with
// PD_FIX_UNSAFE when any was refused (the others are still printed or written).
//
// The findings come from a scan run here, with the arguments and flags of `portdrift scan`
// (cli/scan-pipeline.ts), or from `--from FILE` (saved `scan` / `drift` JSON); then the paths
// are the IaC the findings were computed from, extracted again so the edit lands on today's text.
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PortdriftError } from '../../shared/errors.js';
import { readFindingsFile } from '../../shared/fix/findings-file.js';
import { problemsSummary } from '../../shared/format/extraction.js';
import { unifiedDiff } from '../../shared/fix/diff.js';
import { type FixPlan, filesNeeded, planFixes } from '../../shared/fix/plan.js';
import type { ExtractResult } from '../../shared/iac/extract.js';
import type { Finding } from '../../shared/types.js';
import type { CliContext } from '../context.js';
import { addExtractFlags, checkClusterDomain, extractWith } from '../extract-flags.js';
import { PROBE_FLAG_NAMES, type ProbeFlags, addProbeFlags, probeSummaryLine, runScan } from '../scan-pipeline.js';
import { DEFAULT_RECORD, type EnvironmentFlags, fixEnvironment } from '../fix-environment.js';
import { addLiveFlags } from '../live-flags.js';
import type { CommandFactory } from './index.js';

interface FixOptions extends EnvironmentFlags {
  write?: boolean;
  environment?: boolean;
}

async function writeInPlace(path: string, expected: string, text: string): Promise<void> {
  // The file must still be what the plan was made from: never overwrite an edit made meanwhile.
  const now = await readFile(path, 'utf8');
  if (now !== expected)
    throw new PortdriftError('PD_FIX_UNSAFE', `${path} changed while the fix was being planned; nothing written to it`);
  const mode = (await stat(path)).mode & 0o7777;
  const tmp = join(resolve(path, '..'), `.${randomUUID().slice(0, 8)}.portdrift-fix.tmp`);
  await writeFile(tmp, text, { mode });
  await rename(tmp, path);
}

function explain(ctx: CliContext, plan: FixPlan, wrote: boolean): void {
  for (const e of plan.edits) {
    const also = e.alsoChanges.length
      ? `; the same value also feeds ${e.alsoChanges.join(', ')}, which change too`
      : '';
    ctx.err(
      `${wrote ? 'fixed' : 'fix'}: ${e.file}:${e.line} ${e.what}` +
        `: ${e.from} → ${e.to} for ${e.resources.join(', ')}${also}\n`,
    );
  }
  for (const r of plan.refused) ctx.err(`refused: ${r.resource}${r.where ? ` (${r.where})` : ''}: ${r.reason}\n`);
}

/** Probe flags given together with --from (they would be silently ignored otherwise). */
function probeFlagsGiven(opts: FixOptions): string[] {
  return (Object.keys(PROBE_FLAG_NAMES) as Array<keyof ProbeFlags>)
    .filter((k) => {
      const v = opts[k];
      return Array.isArray(v) ? v.length > 0 : v !== undefined;
    })
    .map((k) => PROBE_FLAG_NAMES[k]);
}

async function findingsAndModel(
  ctx: CliContext,
  paths: string[],
  opts: FixOptions,
): Promise<{ findings: Finding[]; model: ExtractResult; complete: boolean }> {
  if (opts.from !== undefined) {
    const given = probeFlagsGiven(opts);
    if (given.length > 0)
      throw new PortdriftError(
        'PD_USAGE',
        `${given.join(', ')} only appl${given.length === 1 ? 'ies' : 'y'}` +
          ` when fix scans; with --from the findings come from ${opts.from}`,
      );
    checkClusterDomain(opts.clusterDomain);
    const findings = await readFindingsFile(resolve(ctx.cwd, opts.from), opts.from);
    // A saved file may be a filtered query (`drift --kind moved`): absence of a finding proves nothing.
    const model = await extractWith(ctx, paths, opts);
    ctx.err(problemsSummary(model.problems));
    return { findings, model, complete: false };
  }
  const result = await runScan(ctx, paths, opts);
  if (ctx.stderrIsTTY) ctx.err(probeSummaryLine(result));
  const moved = result.report.findings.filter((f) => f.kind === 'moved').length;
  const n = result.report.findings.length;
  ctx.err(`scan: ${n} finding${n === 1 ? '' : 's'}, ${moved} moved\n`);
  return { findings: result.report.findings, model: result.model, complete: true };
}

export const fixCommand: CommandFactory = (ctx, setExit) => {
  const cmd = new Command('fix')
    .description(
      'turn moved findings into a patch of the IaC files (a unified diff; ' +
        '--write applies it): scans like `portdrift scan`, or reads --from FILE',
    )
    .argument('<paths...>', 'the IaC files and directories to scan (or that the --from findings were computed from)')
    .option(
      '--from <file>',
      'findings saved from `portdrift scan --format json` or `portdrift drift --format json`, instead of scanning',
    )
    .option('--write', 'apply the edits to the files instead of only printing the diff')
    .option(
      '--environment',
      'revert the live configuration to the IaC instead (with --live aws or --from a live scan): print, per ' +
        'config-drift / unmanaged-rule / missing-rule, the terraform apply -target and the equivalent AWS call',
    )
    .option('--apply', 'with --environment: make the AWS calls, after a confirmation')
    .option('--yes', 'with --apply: do not ask for the confirmation (pipelines)')
    .option('--record <file>', `with --apply: the file each AWS call is recorded in (default ${DEFAULT_RECORD})`);
  addLiveFlags(addProbeFlags(addExtractFlags(cmd)));
  return cmd.action(async (paths: string[], opts: FixOptions) => {
    if (opts.environment) {
      if (opts.write) {
        throw new PortdriftError('PD_USAGE', '--write edits the IaC; --environment changes the cloud: pick one');
      }
      setExit(await fixEnvironment(ctx, paths, opts));
      return;
    }
    const envOnly = [opts.apply ? '--apply' : '', opts.yes ? '--yes' : '', opts.record !== undefined ? '--record' : ''];
    const stray = envOnly.filter(Boolean);
    if (stray.length > 0) throw new PortdriftError('PD_USAGE', `${stray.join(', ')} only apply with --environment`);
    const { findings, model, complete } = await findingsAndModel(ctx, paths, opts);
    const texts = new Map<string, string>();
    for (const file of filesNeeded(findings, model.endpoints)) {
      try {
        texts.set(file, await readFile(join(model.root, file), 'utf8'));
      } catch {
        // planFixes refuses, with the reason, every edit in a file it was not given.
      }
    }
    const plan = planFixes(findings, model.endpoints, texts, model.unresolved, { complete, problems: model.problems });
    if (opts.write) {
      for (const c of plan.changes) await writeInPlace(join(model.root, c.file), c.before, c.after);
    }
    // The diff names files relative to the working directory, as the SARIF output does, so that
    // `git apply` takes it where fix ran (in CI: the checkout root). A file outside the working
    // directory (a parameters file elsewhere) cannot be named so; --write still edits it.
    const shown = (file: string): string => relative(ctx.cwd, join(model.root, file)).split(sep).join('/');
    const outside = plan.changes
      .map((c) => shown(c.file))
      .filter((f) => f === '..' || f.startsWith('../') || isAbsolute(f));
    ctx.out(plan.changes.map((c) => unifiedDiff({ ...c, file: shown(c.file) })).join(''));
    explain(ctx, plan, Boolean(opts.write));
    if (!opts.write && outside.length > 0)
      ctx.err(
        `note: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside the working directory: \`git ` +
          `apply\` refuses ${outside.length === 1 ? 'that path' : 'those paths'}; use ` +
          `--write, or run fix from a directory above ${outside.length === 1 ? 'it' : 'them'}\n`,
      );
    const moved = findings.length - plan.skipped;
    if (moved === 0) ctx.err('nothing to fix: no moved finding\n');
    else if (opts.write && plan.changes.length > 0)
      ctx.err(`wrote ${plan.changes.length} file${plan.changes.length === 1 ? '' : 's'} under ${model.root}\n`);
    if (plan.refused.length > 0) {
      throw new PortdriftError(
        'PD_FIX_UNSAFE',
        `${plan.refused.length} of ${moved} moved finding${moved === 1 ? '' : 's'} not ` +
          `fixed (reasons above); edit ${plan.refused.length === 1 ? 'it' : 'them'} by hand`,
      );
    }
    setExit(0);
  });
};
