// The commander program tree as plain data for the completion scripts: every command path, its
// options (which take a value, and what a value can be) and what its arguments are. Generated
// from the real commands, so a new flag or format completes without anyone editing a script.
import type { Argument, Command, Option } from 'commander';
import { SEVERITIES } from '../../shared/drift/fail-on.js';
import { FINDING_KINDS } from '../../shared/drift/index.js';

/** What a value (of an option or an argument) completes to. */
export type ValueKind =
  | { kind: 'none' }
  | { kind: 'any' }
  | { kind: 'files' }
  | { kind: 'hosts' }
  | { kind: 'words'; words: readonly string[] };

export interface OptionSpec {
  /** `-V`, `--version`: every spelling. */
  flags: readonly string[];
  description: string;
  value: ValueKind;
}

export interface CommandSpec {
  /** Words after `portdrift`: [] for the program, ['token', 'create'] for a subcommand. */
  path: readonly string[];
  summary: string;
  options: readonly OptionSpec[];
  subcommands: readonly CommandSpec[];
  /** What its positional arguments complete to (none for a command with subcommands). */
  args: ValueKind;
}

const NONE: ValueKind = { kind: 'none' };
const FILES: ValueKind = { kind: 'files' };
const HELP: OptionSpec = { flags: ['-h', '--help'], description: 'display help', value: NONE };

/** Placeholders whose values are file names, and long flags that name a file or directory. */
const FILE_PLACEHOLDER = /^(?:file|path|dir|paths|files)$/;
const FILE_FLAG = /(?:^|-)(?:file|config|iac|state|targets|data|cert|key|ca|spool|out|from|parameters)$/;

function wordsFor(placeholder: string): readonly string[] | undefined {
  const known: Record<string, readonly string[]> = {
    kind: FINDING_KINDS,
    severity: SEVERITIES,
    'kind|severity': [...FINDING_KINDS, ...SEVERITIES],
    'true|false': ['true', 'false'],
  };
  return known[placeholder];
}

function optionValue(o: Option): ValueKind {
  if (!o.required && !o.optional) return NONE;
  if (o.argChoices) return { kind: 'words', words: o.argChoices };
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1]?.replace(/\.\.\.$/, '') ?? '';
  const words = wordsFor(placeholder);
  if (words) return { kind: 'words', words };
  if (FILE_PLACEHOLDER.test(placeholder) || FILE_FLAG.test(o.long?.replace(/^--/, '') ?? '')) return FILES;
  return { kind: 'any' };
}

function argValue(args: readonly Argument[]): ValueKind {
  const a = args[0];
  if (!a) return NONE;
  if (a.argChoices) return { kind: 'words', words: a.argChoices };
  if (/^(?:paths?|files?|dirs?)$/.test(a.name())) return FILES;
  if (/^hosts?$/.test(a.name())) return { kind: 'hosts' };
  return { kind: 'any' };
}

export function commandSpec(cmd: Command, path: readonly string[] = []): CommandSpec {
  const options = cmd.options
    .filter((o) => !o.hidden)
    .map(
      (o): OptionSpec => ({
        flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
        description: o.description,
        value: optionValue(o),
      }),
    );
  const subcommands = cmd.commands.map((c) => commandSpec(c, [...path, c.name()]));
  return {
    path,
    summary: cmd.description(),
    options: [...options, HELP],
    subcommands,
    args: subcommands.length > 0 ? NONE : argValue(cmd.registeredArguments),
  };
}

/** Every command of the tree, the program first, parents before their subcommands. */
export function flatten(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(flatten)];
}

/** A single-quoted word for bash and zsh. */
export const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
