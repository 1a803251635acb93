// `portdrift completion bash|zsh|fish`: print a completion script for the shell. The script is
// generated from the commander tree of every command (their flags, --format choices, finding
// kinds and severities), and is static: completing at TAB time runs no Node process. The tree
// comes from the build's snapshot when there is one (cli/completion/whole-tree.ts says why).
import { Argument, Command } from 'commander';
import { VERSION } from '../../shared/version.js';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { readTreeFile } from '../completion/tree-file.js';
import { wholeTree } from '../completion/whole-tree.js';
import { zshScript } from '../completion/zsh.js';
import { type CommandFactory, routes } from './index.js';

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

export const completionCommand: CommandFactory = (ctx, setExit) =>
  new Command('completion')
    .description('print a shell completion script: bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(Object.keys(SHELLS)))
    .action(async (shell: keyof typeof SHELLS, _opts: unknown, self: Command) => {
      // The build wrote the whole tree to a file; a build without it builds every command now.
      const root =
        readTreeFile(VERSION) ?? (await wholeTree(ctx, self.parent ?? self, routes, new Map([['completion', self]])));
      ctx.out(SHELLS[shell](root, VERSION));
      setExit(0);
    });
