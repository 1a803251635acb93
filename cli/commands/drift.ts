// `portdrift drift`: the collector's findings in any finding format, with scan's exit codes
// (0 nothing at or above --fail-on, 2 findings, 1 error). The JSON is the same document as
// `scan --format json` (shared/format/json.ts).
import { Command, Option } from 'commander';
import { exitCodeFor, parseFailOn, SEVERITIES } from '../../shared/drift/fail-on.js';
import { FINDING_KINDS } from '../../shared/drift/index.js';
import { PortdriftError } from '../../shared/errors.js';
import { FINDING_FORMATS, type FindingFormat, formatFindings } from '../../shared/format/findings.js';
import { IGNORE_FILE, applyIgnoreFile } from '../../shared/ignore-file.js';
import type { DriftReport } from '../../shared/types.js';
import { callCollector, withClientOptions, type ClientOptions } from '../collector-client.js';
import { readIgnoreFile } from '../ignore-file.js';
import { addPathPrefixFlag, pathPrefixOf, type PathPrefixFlags } from '../path-prefix.js';
import type { CommandFactory } from './index.js';

interface DriftOptions extends ClientOptions, PathPrefixFlags {
  format?: FindingFormat;
  failOn?: string;
  status: 'open' | 'resolved' | 'all';
  kind?: string;
  severity?: string;
  ignoreFile?: string;
}

export const driftCommand: CommandFactory = (ctx, setExit) =>
  // The collector's file names are relative to its IaC root, which it may know by another path
  // than the repository that uploads the report: the prefix maps one onto the other.
  addPathPrefixFlag(
    withClientOptions(new Command('drift').description("the collector's findings (exit 0 none, 2 findings, 1 error)"))
      .addOption(
        new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices([
          ...FINDING_FORMATS,
        ]),
      )
      .option(
        '--fail-on <kind|severity>',
        'exit 2 only for findings of this kind or at or above this severity; default: any',
      )
      .addOption(new Option('--status <status>', 'which findings').choices(['open', 'resolved', 'all']).default('open'))
      .addOption(new Option('--kind <kind>', 'only this kind').choices([...FINDING_KINDS]))
      .addOption(new Option('--severity <severity>', 'only this severity').choices([...SEVERITIES]))
      .option(
        '--ignore-file <file>',
        `rules of findings to leave out (default: ${IGNORE_FILE} in the working directory, if any)`,
      ),
    "none; e.g. the collector's IaC root relative to the repository root",
  ).action(async (opts: DriftOptions) => {
    const failOn = parseFailOn(opts.failOn);
    const q = new URLSearchParams({
      status: opts.status,
      ...(opts.kind ? { kind: opts.kind } : {}),
      ...(opts.severity ? { severity: opts.severity } : {}),
    });
    // A broken ignore file stops the command before the collector is asked (it names the line).
    const rules = await readIgnoreFile(ctx, opts.ignoreFile ?? IGNORE_FILE, opts.ignoreFile !== undefined);
    const answer = (await callCollector(ctx, opts, 'GET', `v1/findings?${q}`)) as DriftReport;
    if (answer?.version !== 1 || !Array.isArray(answer.findings))
      throw new PortdriftError('PD_COLLECTOR_RESPONSE', 'GET /v1/findings: not a version 1 drift report');
    const report = rules ? applyIgnoreFile(answer, rules) : answer;
    const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
    ctx.out(
      formatFindings(report, format, {
        color: format === 'table' && ctx.stdoutIsTTY && ctx.env.NO_COLOR === undefined,
        pathPrefix: pathPrefixOf(opts),
      }),
    );
    // Resolved findings are history, not drift: only open ones decide the exit code.
    setExit(exitCodeFor({ ...report, findings: report.findings.filter((f) => !f.resolvedAt) }, failOn));
  });
