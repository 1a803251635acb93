// `portdrift completion bash|zsh|fish`: print a completion script for the shell. The script is
// generated from the commander tree of every command (their flags, --format choices, finding
// kinds and severities), and is static: completing at TAB time runs no Node process.
import { Argument, Command } from 'commander';
import { VERSION } from '../../shared/version.js';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { type CommandSpec, commandSpec } from '../completion/tree.js';
import { zshScript } from '../completion/zsh.js';
import { type CommandFactory, routes } from './index.js';

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

export const completionCommand: CommandFactory = (ctx, setExit) =>
  new Command('completion')
    .description('print a shell completion script: bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(Object.keys(SHELLS)))
    .action(async (shell: keyof typeof SHELLS, _opts: unknown, self: Command) => {
      // Only this command was built for this run: build every other one to walk the whole tree.
      const build = async (r: (typeof routes)[number]): Promise<Command> =>
        r.name === 'completion' ? self : (await r.load())(ctx, () => undefined);
      const commands = await Promise.all(routes.map(build));
      const program = commandSpec(self.parent ?? self);
      const root: CommandSpec = { ...program, subcommands: commands.map((c) => commandSpec(c, [c.name()])) };
      ctx.out(SHELLS[shell](root, VERSION));
      setExit(0);
    });
