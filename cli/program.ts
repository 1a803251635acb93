// Builds the commander program from the routing table and runs it. The one top-level catch of
// the CLI lives here: every error becomes a message on stderr and exit code 1.
import { Command, CommanderError, Help } from 'commander';
import { isPortdriftError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { type CommandRoute, routes } from './commands/index.js';
import type { CliContext, ExitCode } from './context.js';
import { helpAfter, rootHelpAfter } from './help-text.js';

interface Plan {
  /** Routes whose module is imported and whose command is built. */
  load: readonly CommandRoute[];
  /** Routes listed by name, usage and summary only (for the top-level help and suggestions). */
  list: readonly CommandRoute[];
}

/**
 * What `argv` needs: the named command's module when the first word (or the word after `help`)
 * names one; nothing at all for `--version`; otherwise (help, no command, a typo) every command
 * listed from the routing table without importing any, so `portdrift --help` and commander's
 * "did you mean" answer at the speed of bare Node. `all` loads every command (completion).
 */
function planFor(argv: readonly string[], all: boolean): Plan {
  if (all) return { load: routes, list: [] };
  const words = argv.filter((a) => !a.startsWith('-'));
  const first = words[0] === 'help' ? words[1] : words[0];
  const named = routes.find((r) => r.name === first);
  if (named) return { load: [named], list: [] };
  if (words.length === 0 && argv.some((a) => a === '-V' || a === '--version')) return { load: [], list: [] };
  return { load: [], list: routes };
}

export interface BuildOptions {
  /** Build every command, whatever argv names (shell completion walks the whole tree). */
  all?: boolean;
}

export async function buildProgram(
  ctx: CliContext,
  setExit: (code: ExitCode) => void,
  argv: readonly string[] = [],
  options: BuildOptions = {},
): Promise<Command> {
  // Commander's own errors (unknown option, missing argument, a value outside --format's
  // choices) read like every other error: `portdrift: … [PD_USAGE]`, one format for scripts.
  const output = {
    writeOut: (s: string) => ctx.out(s),
    writeErr: (s: string) => ctx.err(s),
    outputError: (s: string, write: (s: string) => void) =>
      write(`portdrift: ${s.replace(/^error: /, '').trimEnd()} [PD_USAGE]\n`),
  };
  const usage = new Map(routes.map((r) => [r.name, `${r.name} ${r.usage}`.trim()]));
  const program = new Command('portdrift')
    .description('Find internal port drift: the ports IaC declares vs the ports that really listen.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput(output)
    // A listed-only command has no options or arguments of its own: its line comes from the table.
    .configureHelp({ subcommandTerm: (cmd) => usage.get(cmd.name()) ?? new Help().subcommandTerm(cmd) })
    .addHelpText('after', rootHelpAfter());
  const plan = planFor(argv, options.all === true);
  const factories = await Promise.all(plan.load.map(async (r) => [r, await r.load()] as const));
  for (const [route, register] of factories) {
    const cmd = register(ctx, setExit);
    cmd.exitOverride().configureOutput(output).addHelpText('after', helpAfter(route.name));
    program.addCommand(cmd);
  }
  for (const r of plan.list) program.addCommand(new Command(r.name).description(r.summary));
  return program;
}

export async function runCli(argv: string[], ctx: CliContext): Promise<ExitCode> {
  let exit: ExitCode = 0;
  try {
    const program = await buildProgram(ctx, (code) => (exit = code), argv);
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other commander error (unknown option, missing
      // argument) is a usage error, exit 1 (docs/design/architecture.md#exit-codes), not commander's default.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return 1;
    }
    if (isPortdriftError(err)) {
      ctx.err(`portdrift: ${err.message} [${err.code}]\n`);
      return 1;
    }
    const e = err as Error;
    ctx.err(`portdrift: internal error: ${e?.stack ?? String(err)} [PD_INTERNAL]\n`);
    return 1;
  }
}
