// `portdrift extract <paths…>`: print the declared model (resources, hosts, ports, file:line,
// and what could not be resolved). Output format: `--format table|json`; without it, `table`
// when stdout is a terminal and `json` otherwise, so `portdrift extract . | jq` just works.
// Problems (files that did not parse, unknown tags, binary or oversized files) are summarised on
// stderr and listed in the JSON; they do not fail the command. Exit 1 only when no file could
// be read at all, or an option file (--targets, --parameters) is invalid.
import { Command, Option } from 'commander';
import { formatExtractionJson, formatExtractionTable, problemsSummary } from '../../shared/format/extraction.js';
import { addExtractFlags, extractWith, type ExtractFlags } from '../extract-flags.js';
import type { CommandFactory } from './index.js';

export const extractCommand: CommandFactory = (ctx, setExit) =>
  addExtractFlags(
    new Command('extract')
      .description('print the declared model: resources, hosts, ports with file:line, and what could not be resolved')
      .argument(
        '<paths...>',
        'IaC files and directories (directories are walked recursively); ' +
          'source.file is relative to their deepest common directory',
      ),
  )
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices([
        'table',
        'json',
      ]),
    )
    .action(async (paths: string[], opts: ExtractFlags & { format?: 'table' | 'json' }) => {
      const model = await extractWith(ctx, paths, opts);
      const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
      ctx.out(format === 'json' ? formatExtractionJson(model) : formatExtractionTable(model));
      ctx.err(problemsSummary(model.problems));
      setExit(0);
    });
