// The `case` arms that the bash and zsh scripts share (both shells read the same `case` syntax):
// how a word extends the command path, and what an option's value completes to.
import { type CommandSpec, type ValueKind, sq } from './tree.js';

const key = (c: CommandSpec): string => c.path.join(' ');

/** `'scan>--format') cmdpath=…` arms: a word extends the path when the path so far has a subcommand of that name. */
export function pathArms(all: readonly CommandSpec[]): string[] {
  return all.flatMap((c) =>
    c.subcommands.map((s) => `      ${sq(`${key(c)}>${s.path.at(-1)}`)}) cmdpath=${sq(key(s))} ;;`),
  );
}

/** One arm per option that takes a value: what the word after it completes to, in the shell's words. */
export function valueArms(all: readonly CommandSpec[], reply: (v: ValueKind) => string): string[] {
  return all.flatMap((c) =>
    c.options
      .filter((o) => o.value.kind !== 'none')
      .map((o) => `    ${o.flags.map((f) => sq(`${key(c)}>${f}`)).join('|')}) ${reply(o.value)}; return ;;`),
  );
}
