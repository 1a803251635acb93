// Runs the `portdrift` CLI in-process with captured output (the CliContext seam), for tests.
import { runCli } from '../../../cli/program.js';
import type { CliContext, ExitCode } from '../../../cli/context.js';

export async function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: ExitCode; out: string; err: string }> {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env,
    cwd,
    shutdown: new Promise(() => undefined),
    onReload: () => () => undefined,
  };
  const code = await runCli(args, ctx);
  return { code, out, err };
}
