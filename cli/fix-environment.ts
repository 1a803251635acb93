// `portdrift fix --environment`: restore the IaC's value in the cloud. Prints, for each
// config-drift, unmanaged-rule and missing-rule finding, the `terraform apply -target=…` that
// restores it and the equivalent AWS call (stdout, a script a person can read and run). Without
// `--apply` nothing is changed. With `--apply` the AWS calls are made after a confirmation
// (`yes`, or `--yes` for pipelines), one at a time, each recorded as a JSON line in the record
// file (`--record`, default portdrift-environment.jsonl) before the next starts.
import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PortdriftError } from '../shared/errors.js';
import { type Revert, planEnvironment } from '../shared/fix/environment.js';
import { readSavedReport } from '../shared/fix/findings-file.js';
import { problemsSummary } from '../shared/format/extraction.js';
import type { DeclaredEndpoint, Finding } from '../shared/types.js';
import type { CliContext } from './context.js';
import { extractWith } from './extract-flags.js';
import { type ScanFlags, probeSummaryLine, runScan } from './scan-pipeline.js';

export interface EnvironmentFlags extends ScanFlags {
  from?: string;
  apply?: boolean;
  yes?: boolean;
  record?: string;
}

export const DEFAULT_RECORD = 'portdrift-environment.jsonl';

interface Inputs {
  findings: Finding[];
  endpoints: DeclaredEndpoint[];
  liveIdOf: Map<string, string>;
  regionOf: (liveId: string) => string | undefined;
}

async function inputs(ctx: CliContext, paths: string[], opts: EnvironmentFlags): Promise<Inputs> {
  const given = opts.awsRegion ?? [];
  if (opts.from !== undefined) {
    const report = await readSavedReport(resolve(ctx.cwd, opts.from), opts.from);
    const live = report.summary.live;
    if (!live) {
      const message = `${opts.from} holds no live layer: save a \`portdrift scan --live aws --format json\` report`;
      throw new PortdriftError('PD_USAGE', message);
    }
    const model = await extractWith(ctx, paths, opts);
    ctx.err(problemsSummary(model.problems));
    // A saved report names its regions, not each object's: one region (or one --aws-region) is enough.
    const regions = given.length > 0 ? given : live.regions;
    const only = regions.length === 1 ? regions[0] : undefined;
    return {
      findings: report.findings,
      endpoints: model.endpoints,
      liveIdOf: new Map(live.matched.map((m) => [m.resource, m.liveId])),
      regionOf: () => only,
    };
  }
  if (!opts.live) {
    const message =
      'fix --environment reverts the live configuration: pass --live aws (with --no-probe to skip probing), ' +
      'or --from a saved `scan --live aws --format json` report';
    throw new PortdriftError('PD_USAGE', message);
  }
  const result = await runScan(ctx, paths, opts);
  if (ctx.stderrIsTTY) ctx.err(probeSummaryLine(result));
  const regions = new Map((result.configured?.objects ?? []).map((o) => [o.id, o.region]));
  return {
    findings: result.report.findings,
    endpoints: result.model.endpoints,
    liveIdOf: new Map((result.report.summary.live?.matched ?? []).map((m) => [m.resource, m.liveId])),
    regionOf: (id) => regions.get(id),
  };
}

function script(reverts: readonly Revert[]): string {
  return reverts
    .map((r) => {
      const call = r.cli ?? `# no AWS call: ${r.why}`;
      return `# ${r.kind} ${r.resource}: ${r.what}\n${r.terraform}\n${call}\n`;
    })
    .join('\n');
}

export async function fixEnvironment(ctx: CliContext, paths: string[], opts: EnvironmentFlags): Promise<0> {
  if (opts.yes && !opts.apply) throw new PortdriftError('PD_USAGE', '--yes only applies with --apply');
  if (opts.record !== undefined && !opts.apply) {
    throw new PortdriftError('PD_USAGE', '--record only applies with --apply');
  }
  const input = await inputs(ctx, paths, opts);
  const reverts = planEnvironment(input);
  if (reverts.length === 0) {
    ctx.err('nothing to revert: no config-drift, unmanaged-rule or missing-rule finding\n');
    return 0;
  }
  ctx.out(script(reverts));
  const calls = reverts.filter((r) => r.call !== null);
  const n = calls.length;
  const plural = n === 1 ? '' : 's';
  if (!opts.apply) {
    const printed = `${reverts.length} revert${reverts.length === 1 ? '' : 's'} printed`;
    ctx.err(`${printed}; nothing changed (--apply makes the ${n} AWS call${plural})\n`);
    return 0;
  }
  if (n === 0) {
    ctx.err('--apply: no revert above is one AWS call; nothing changed (run the terraform commands)\n');
    return 0;
  }
  if (!opts.yes) {
    const question =
      `portdrift: make the ${n} AWS call${plural} above? They change the live configuration. ` +
      "Only 'yes' is accepted: ";
    const answer = ctx.ask ? await ctx.ask(question) : null;
    if (answer?.trim() !== 'yes') {
      const message = 'not confirmed: nothing changed (answer yes, or pass --yes in a pipeline)';
      throw new PortdriftError('PD_FIX_NOT_CONFIRMED', message);
    }
  }
  const record = resolve(ctx.cwd, opts.record ?? DEFAULT_RECORD);
  const { awsWriter } = await import('../shared/live/aws/write/revert.js');
  const writer = await awsWriter(
    {
      ...(opts.awsProfile !== undefined ? { profile: opts.awsProfile } : {}),
      ...(opts.awsRoleArn !== undefined ? { roleArn: opts.awsRoleArn } : {}),
    },
    calls[0]!.call!.region,
  );
  const failed: string[] = [];
  try {
    for (const r of calls) {
      const call = r.call!;
      const outcome = await writer.call(call);
      const line = {
        at: new Date().toISOString(),
        finding: r.findingId,
        kind: r.kind,
        resource: r.resource,
        liveId: r.liveId,
        region: call.region,
        operation: call.operation,
        input: call.input,
        ok: outcome.ok,
        detail: outcome.detail,
      };
      await appendFile(record, `${JSON.stringify(line)}\n`, { mode: 0o600 });
      if (outcome.ok) ctx.err(`changed: ${call.operation} ${r.what} (${call.region}, ${outcome.detail})\n`);
      else {
        ctx.err(`failed: ${call.operation} ${r.what} (${call.region}): ${outcome.detail} [${outcome.code}]\n`);
        failed.push(`${call.operation} on ${r.liveId}: ${outcome.detail}`);
      }
    }
  } finally {
    writer.close();
  }
  ctx.err(`recorded ${n} call${plural} in ${record}\n`);
  if (failed.length > 0) {
    throw new PortdriftError('PD_AWS_API', `${failed.length} of ${n} AWS call${plural} failed: ${failed.join('; ')}`);
  }
  return 0;
}
