// `portdrift extract <paths…>`: print the declared model (resources, hosts, ports, file:line,
// and what could not be resolved). Output format: `--format table|json`; without it, `table`
// when stdout is a terminal and `json` otherwise, so `portdrift extract . | jq` just works.
// Problems (files that did not parse, unknown tags, binary or oversized files) are summarised on
// stderr and listed in the JSON; they do not fail the command. Exit 1 only when no file could
// be read at all, or an option file (--targets, --parameters) is invalid.
import { Command, Option } from 'commander';
import { PortdriftError } from '../../shared/errors.js';
import { extract } from '../../shared/iac/extract.js';
import { formatExtractionJson, formatExtractionTable, problemsSummary } from '../../shared/format/extraction.js';
import type { CommandFactory } from './index.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export const extractCommand: CommandFactory = (ctx, setExit) =>
  new Command('extract')
    .description('print the declared model: resources, hosts, ports with file:line, and what could not be resolved')
    .argument('<paths...>', 'IaC files and directories (directories are walked recursively); source.file is relative to their deepest common directory')
    .option('--state <file>', 'Terraform state (raw v4 or `terraform show -json`); repeat for several', collect, [])
    .option('--targets <file>', 'targets file mapping resource addresses or globs to hosts')
    .option('--var-file <file>', 'Terraform variable file, applied after terraform.tfvars and *.auto.tfvars; repeat for several', collect, [])
    .option('--parameters <file>', 'CloudFormation parameters file ([{ParameterKey, ParameterValue}] or {Name: value})')
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices(['table', 'json']))
    .option('--cluster-domain <domain>', 'Kubernetes cluster domain for derived Service names', 'cluster.local')
    .action(async (paths: string[], opts: { state: string[]; targets?: string; varFile: string[]; parameters?: string; format?: 'table' | 'json'; clusterDomain: string }) => {
      if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(opts.clusterDomain)) throw new PortdriftError('PD_USAGE', `--cluster-domain ${JSON.stringify(opts.clusterDomain)} is not a DNS domain`);
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
      const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
      ctx.out(format === 'json' ? formatExtractionJson(model) : formatExtractionTable(model));
      ctx.err(problemsSummary(model.problems));
      setExit(0);
    });
