// The whole command tree as completion data: every route's command built (each imports its
// module, and the collector's and agent's modules import their config schemas: ~1 s of start-up).
// `npm run build` runs this once and writes dist/cli/completion/tree.json (see snapshot.ts), so
// `portdrift completion bash` prints from the file at the speed of bare Node; without the file
// (a tree built by tsc alone) it is computed here, as before.
import type { Command } from 'commander';
import type { CommandFactory, CommandRoute } from '../commands/index.js';
import type { CliContext } from '../context.js';
import { type CommandSpec, commandSpec } from './tree.js';

/** `program` is the root command; `built` the commands this run already built (by name). */
export async function wholeTree(
  ctx: CliContext,
  program: Command,
  routes: readonly CommandRoute[],
  built: ReadonlyMap<string, Command> = new Map(),
): Promise<CommandSpec> {
  const build = async (r: CommandRoute): Promise<Command> =>
    built.get(r.name) ?? ((await r.load()) as CommandFactory)(ctx, () => undefined);
  const commands = await Promise.all(routes.map(build));
  return { ...commandSpec(program), subcommands: commands.map((c) => commandSpec(c, [c.name()])) };
}
