// `scan --live aws`: the flags that add the configured layer (what the cloud API says is set
// now) and the call that reads it. The AWS SDK reads its own environment (AWS_REGION,
// AWS_PROFILE, AWS_ENDPOINT_URL, credentials); these flags only narrow it down.
import { Option, type Command } from 'commander';
import { PortdriftError } from '../shared/errors.js';
import { checkRegions } from '../shared/live/aws/regions.js';
import type { AwsReadOptions } from '../shared/live/aws/index.js';
import type { ConfiguredModel, DriftReport } from '../shared/types.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export interface LiveFlags {
  live?: 'aws';
  awsRegion?: string[];
  awsProfile?: string;
  awsRoleArn?: string;
  /** False with --no-probe. */
  probe?: boolean;
  /** --live-audit: who changed each drifted live object last (CloudTrail). */
  liveAudit?: boolean;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

export function addLiveFlags(cmd: Command): Command {
  const live = new Option(
    '--live <provider>',
    'also read what the cloud API says is configured now ' +
      '(security groups, instances, RDS, target groups, ElastiCache, ECS)',
  );
  return cmd
    .addOption(live.choices(['aws']))
    .option('--aws-region <region>', 'AWS region to read; repeat for several (default: AWS_REGION)', collect, [])
    .option('--aws-profile <name>', 'AWS shared-config profile for credentials and region (default: AWS_PROFILE)')
    .option('--aws-role-arn <arn>', 'assume this IAM role (with the credentials found) before reading')
    .option('--no-probe', 'with --live: compare the IaC with the live configuration only, probe nothing')
    .option(
      '--live-audit',
      'with --live: name who last changed each drifted live object, and when (CloudTrail event history)',
    );
}

/** Checks the live flags (before anything is read); true when the live layer is asked for. */
export function checkLiveFlags(opts: LiveFlags): boolean {
  const aws = [
    opts.awsRegion?.length ? '--aws-region' : '',
    opts.awsProfile !== undefined ? '--aws-profile' : '',
    opts.awsRoleArn !== undefined ? '--aws-role-arn' : '',
    opts.liveAudit ? '--live-audit' : '',
  ].filter(Boolean);
  if (!opts.live) {
    if (aws.length > 0) throw new PortdriftError('PD_USAGE', `${aws.join(', ')} only apply with --live aws`);
    if (opts.probe === false) {
      const why = 'without the live layer nothing is left to compare';
      throw new PortdriftError('PD_USAGE', `--no-probe only applies with --live aws (${why})`);
    }
    return false;
  }
  if (opts.awsRoleArn !== undefined && !ROLE_ARN.test(opts.awsRoleArn)) {
    const arn = JSON.stringify(opts.awsRoleArn);
    const message = `--aws-role-arn ${arn} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`;
    throw new PortdriftError('PD_USAGE', message);
  }
  checkRegions(opts.awsRegion ?? []);
  return true;
}

const awsOptions = (opts: LiveFlags): AwsReadOptions => ({
  regions: opts.awsRegion ?? [],
  ...(opts.awsProfile !== undefined ? { profile: opts.awsProfile } : {}),
  ...(opts.awsRoleArn !== undefined ? { roleArn: opts.awsRoleArn } : {}),
});

/**
 * `--live-audit`: the report with `changedBy` / `changedAt` on its config-drift, unmanaged-rule
 * and missing-rule findings, from CloudTrail in each live object's region.
 */
export async function auditLive(
  opts: LiveFlags,
  report: DriftReport,
  configured: ConfiguredModel,
): Promise<DriftReport> {
  const [{ auditAws }, { withAudit }] = await Promise.all([
    import('../shared/live/aws/audit.js'),
    import('../shared/drift/live.js'),
  ]);
  const regionOf = new Map(configured.objects.map((o) => [o.id, o.region]));
  const { changes, problems } = await auditAws(awsOptions(opts), report.findings, regionOf);
  return withAudit(report, changes, problems);
}

/**
 * The live inventory, read in a process of its own that loads the AWS SDK and ends with the read
 * (shared/live/aws/read-process.ts), so a scan without --live starts as fast as before and a scan
 * with it does not keep the SDK for the rest of the run.
 */
export async function readLive(opts: LiveFlags): Promise<ConfiguredModel> {
  const { readAwsInProcess } = await import('../shared/live/aws/read-process.js');
  return readAwsInProcess(awsOptions(opts));
}
