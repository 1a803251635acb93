// `portdrift scan <paths…>`: the one-shot drift check from this machine, no collector
// (docs/design/architecture.md#pipeline): the scan pipeline of cli/scan-pipeline.ts (extract → probe → drift) → print
// → exit 0 (nothing at or above `--fail-on`), 2 (findings) or 1 (error, thrown).
import { Command, Option } from 'commander';
import { exitCodeFor, parseFailOn } from '../../shared/drift/fail-on.js';
import { FINDING_FORMATS, type FindingFormat, formatFindings } from '../../shared/format/findings.js';
import { addExtractFlags } from '../extract-flags.js';
import { addLiveFlags } from '../live-flags.js';
import { addPathPrefixFlag, pathPrefixOf, type PathPrefixFlags } from '../path-prefix.js';
import { type ScanFlags, addProbeFlags, probeSummaryLine, runScan, defaultPathPrefix } from '../scan-pipeline.js';
import type { CommandFactory } from './index.js';

export { SCAN_AGENT, observationsOf, defaultPathPrefix } from '../scan-pipeline.js';

interface ScanOptions extends ScanFlags, PathPrefixFlags {
  format?: FindingFormat;
  failOn?: string;
}

export const scanCommand: CommandFactory = (ctx, setExit) => {
  const cmd = new Command('scan')
    .description('one-shot drift check from this machine: extract the IaC, probe its hosts, print the findings')
    .argument(
      '<paths...>',
      'IaC files and directories (directories are walked recursively); ' +
        'source.file is relative to their deepest common directory',
    );
  addLiveFlags(addProbeFlags(addExtractFlags(cmd)))
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices([
        ...FINDING_FORMATS,
      ]),
    )
    .option(
      '--fail-on <kind|severity>',
      'exit 2 only for findings of this kind (moved, missing, unreachable, undeclared, unobserved, config-drift, ' +
        'unmanaged-rule, missing-rule, stale-rule, wrong-service) or at ' +
        'or above this severity (low, medium, high); default: any finding',
    );
  return addPathPrefixFlag(
    cmd,
    'the IaC root relative to the working directory, so run from the repository root',
  ).action(async (paths: string[], opts: ScanOptions) => {
    // Every argument is checked before anything is read or probed.
    const failOn = parseFailOn(opts.failOn);
    const result = await runScan(ctx, paths, opts);
    const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
    const color = format === 'table' && ctx.stdoutIsTTY && ctx.env.NO_COLOR === undefined;
    ctx.out(
      formatFindings(result.report, format, {
        color,
        pathPrefix: pathPrefixOf(opts) ?? defaultPathPrefix(ctx.cwd, result.model.root),
      }),
    );
    if (ctx.stderrIsTTY) ctx.err(probeSummaryLine(result));
    setExit(exitCodeFor(result.report, failOn));
  });
};
