// The extraction flags, shared by `extract`, `scan` and `fix`: one definition of the options,
// their validation and the extract() call they make, so the three commands cannot drift apart.
// Imports nothing of the probe engine: `portdrift extract` loads only what extraction needs.
import type { Command } from 'commander';
import { PortdriftError } from '../shared/errors.js';
import type { ExtractResult } from '../shared/iac/extract.js';
import type { CliContext } from './context.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Flags that say what to extract (scan, and fix with or without `--from`). */
export interface ExtractFlags {
  state: string[];
  targets?: string;
  varFile: string[];
  parameters?: string;
  clusterDomain: string;
  plan?: string;
  stateFromBackend?: boolean;
  /** `scan --live aws --aws-profile P`: the same profile reads `s3://` state. */
  awsProfile?: string;
}

export function addExtractFlags(cmd: Command): Command {
  return cmd
    .option(
      '--state <source>',
      'Terraform state (raw v4 or `terraform show -json`): a file, a glob, s3://BUCKET/KEY (globs too), ' +
        'https://… (HTTP backend), tfc://[HOST/]ORG/WORKSPACE; repeat for several',
      collect,
      [],
    )
    .option('--state-from-backend', 'read the state the `backend "s3"` block of the Terraform root names')
    .option('--targets <file>', 'targets file mapping resource addresses or globs to hosts')
    .option(
      '--var-file <file>',
      'Terraform variable file, applied after terraform.tfvars and *.auto.tfvars; repeat for several',
      collect,
      [],
    )
    .option('--parameters <file>', 'CloudFormation parameters file ([{ParameterKey, ParameterValue}] or {Name: value})')
    .option('--cluster-domain <domain>', 'Kubernetes cluster domain for derived Service names', 'cluster.local')
    .option(
      '--plan <file>',
      'Terraform plan JSON (`terraform show -json PLANFILE`): every evaluated port of ' +
        'every module and count/for_each instance; the paths give the root module for file:line',
    );
}

export function checkClusterDomain(domain: string): void {
  if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(domain))
    throw new PortdriftError('PD_USAGE', `--cluster-domain ${JSON.stringify(domain)} is not a DNS domain`);
}

/**
 * Extract the IaC with the extraction flags (problems are the caller's to print). `parserThreads`:
 * see ExtractOptions (scan --live gives 1).
 */
export async function extractWith(
  ctx: CliContext,
  paths: string[],
  opts: ExtractFlags,
  parserThreads?: number,
): Promise<ExtractResult> {
  checkClusterDomain(opts.clusterDomain);
  // Loaded when a command runs, not when it is defined: `--help` and completion need only flags.
  const { extract } = await import('../shared/iac/extract.js');
  const { stateSources, backendStates } = await import('../shared/live/state/index.js');
  let state = opts.state;
  let bucketRegions: Map<string, string> | undefined;
  if (opts.stateFromBackend) {
    if (state.length > 0) throw new PortdriftError('PD_USAGE', '--state-from-backend and --state exclude each other');
    const found = await backendStates(paths, ctx.cwd, ctx.env);
    state = found.map((b) => b.url);
    bucketRegions = new Map(found.flatMap((b) => (b.region ? [[b.url.split('/')[2]!, b.region] as const] : [])));
  }
  const sources = stateSources({
    cwd: ctx.cwd,
    env: ctx.env,
    ...(bucketRegions ? { bucketRegions } : {}),
    ...(opts.awsProfile !== undefined ? { awsProfile: opts.awsProfile } : {}),
  });
  return extract(
    paths,
    {
      stateFiles: await sources.expand(state),
      varFiles: opts.varFile,
      clusterDomain: opts.clusterDomain,
      ...(opts.targets ? { targetsFile: opts.targets } : {}),
      ...(opts.parameters ? { parametersFile: opts.parameters } : {}),
      ...(opts.plan ? { planFile: opts.plan } : {}),
      ...(parserThreads !== undefined ? { parserThreads } : {}),
    },
    { cwd: ctx.cwd, readState: (source, shown) => sources.read(source, shown) },
  );
}
