// What a command may use of the outside world. Only cli/main.ts builds one from `process`; tests
// build their own, so every command runs in-process under test with captured output.

export interface CliContext {
  /** Write to standard output (the command's result: tables, JSON). */
  out(text: string): void;
  /** Write to standard error (progress, warnings, error messages). */
  err(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands await it. */
  shutdown: Promise<string>;
  /** Subscribe to reload requests (SIGHUP). Returns an unsubscribe function. */
  onReload(handler: () => void): () => void;
  /**
   * One line read from standard input after `question` is written to stderr (a confirmation);
   * null when input ends first. Absent where there is no input to read.
   */
  ask?(question: string): Promise<string | null>;
  /** Resource limits the probe engine sizes its window from (read by the entrypoint). */
  nofileLimit?: number;
  /**
   * Keep the JavaScript heap's young generation at its present size from now on: a one-shot run
   * whose bar is peak memory (`scan --live`) asks for it before its large allocations.
   */
  smallYoungGeneration?(): void;
}

/** The result of a command's action: the process exit code (0 ok, 2 findings). Errors are thrown. */
export type ExitCode = 0 | 1 | 2;
