// `--path-prefix`, shared by `scan` and `drift`: the path joined to every IaC file name in SARIF
// and JUnit output so that code hosts and CI systems find the file from the repository root.
// `--sarif-prefix` is its earlier name (SARIF only, before JUnit took the prefix too); it is
// still accepted, without a line in --help.
import { type Command, Option } from 'commander';

export interface PathPrefixFlags {
  pathPrefix?: string;
  sarifPrefix?: string;
}

export function addPathPrefixFlag(cmd: Command, defaultText: string): Command {
  return cmd
    .option('--path-prefix <path>', `sarif, junit: prefix joined to every IaC file path (default: ${defaultText})`)
    .addOption(new Option('--sarif-prefix <path>', 'the former name of --path-prefix').hideHelp());
}

/** The prefix given on the command line, if any. */
export const pathPrefixOf = (opts: PathPrefixFlags): string | undefined => opts.pathPrefix ?? opts.sarifPrefix;
