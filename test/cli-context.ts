// A CliContext for tests that run the CLI in-process (runCli): stdout and stderr captured, no
// terminal, no signal, the process's cwd; any field can be overridden.
import type { CliContext } from '../cli/context.js';

export interface CapturedCli {
  ctx: CliContext;
  out(): string;
  err(): string;
}

export function captureCli(overrides: Partial<CliContext> = {}): CapturedCli {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    cwd: process.cwd(),
    shutdown: new Promise(() => undefined),
    onReload: () => () => undefined,
    ...overrides,
  };
  return { ctx, out: () => out, err: () => err };
}
