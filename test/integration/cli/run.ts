// Runs the `portdrift` CLI in-process with captured output (the CliContext seam), for tests.
import { runCli } from '../../../cli/program.js';
import type { ExitCode } from '../../../cli/context.js';
import { captureCli } from '../../cli-context.js';

export async function run(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: ExitCode; out: string; err: string }> {
  const cli = captureCli({ cwd, env });
  const code = await runCli(args, cli.ctx);
  return { code, out: cli.out(), err: cli.err() };
}
