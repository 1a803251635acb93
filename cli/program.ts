// Builds the commander program from the routing table and runs it. The one top-level catch of
// the CLI lives here: every error becomes a message on stderr and exit code 1.
import { Command, CommanderError } from 'commander';
import { isPortdriftError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { routes } from './commands/index.js';
import type { CliContext, ExitCode } from './context.js';

/**
 * The routes to load for `argv`: only the named command's when the first word names one; every
 * route otherwise, so `portdrift --help` lists them all and a typo gets commander's suggestion.
 */
function routesFor(argv: readonly string[]): typeof routes {
  const first = argv.find((a) => !a.startsWith('-'));
  const named = routes.filter((r) => r.name === first);
  return named.length > 0 ? named : routes;
}

export async function buildProgram(ctx: CliContext, setExit: (code: ExitCode) => void, argv: readonly string[] = []): Promise<Command> {
  // Commander's own errors (unknown option, missing argument, a value outside --format's
  // choices) read like every other error: `portdrift: … [PD_USAGE]`, one format for scripts.
  const output = {
    writeOut: (s: string) => ctx.out(s),
    writeErr: (s: string) => ctx.err(s),
    outputError: (s: string, write: (s: string) => void) => write(`portdrift: ${s.replace(/^error: /, '').trimEnd()} [PD_USAGE]\n`),
  };
  const program = new Command('portdrift')
    .description('Find internal port drift: the ports IaC declares vs the ports that really listen.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput(output);
  const factories = await Promise.all(routesFor(argv).map((r) => r.load()));
  for (const register of factories) {
    const cmd = register(ctx, setExit);
    cmd.exitOverride().configureOutput(output);
    program.addCommand(cmd);
  }
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
      // argument) is a usage error, exit 1 as DESIGN.md "Exit codes" says, not commander's default.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
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
