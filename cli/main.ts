#!/usr/bin/env node
// The `portdrift` entrypoint: the only place that touches `process` (argv, env, signals, exit).
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runCli } from './program.js';
import type { CliContext } from './context.js';

let shutdownResolve!: (signal: string) => void;
const shutdown = new Promise<string>((resolve) => (shutdownResolve = resolve));
let signalled = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second signal means "now": the first one asked for a graceful stop.
    if (++signalled > 1) process.exit(130);
    shutdownResolve(signal);
  });
}
// A reader that stops early (`portdrift probe … --format jsonl | head -3`) closes the pipe: that
// is the reader's choice, not an error, so stop quietly instead of dying on an unhandled EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const reloadHandlers = new Set<() => void>();
process.on('SIGHUP', () => reloadHandlers.forEach((h) => h()));

const ctx: CliContext = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
  stderrIsTTY: Boolean(process.stderr.isTTY),
  env: process.env,
  cwd: process.cwd(),
  shutdown,
  onReload(handler) {
    reloadHandlers.add(handler);
    return () => reloadHandlers.delete(handler);
  },
  ask: (question) =>
    new Promise((resolve) => {
      process.stderr.write(question);
      const rl = createInterface({ input: process.stdin, terminal: false });
      let answered = false;
      rl.once('line', (line) => {
        answered = true;
        // A piped answer is not echoed: end the question's line so the next output starts on its own.
        if (!process.stdin.isTTY) process.stderr.write('\n');
        rl.close();
        resolve(line);
      });
      rl.once('close', () => {
        if (!answered) resolve(null);
      });
    }),
  // V8 doubles the young generation (two semi-spaces) each time enough survives a scavenge, up to
  // 2 x 16 MB on 64-bit Node 20, and keeps it: 32 MB of RSS that a one-shot scan never gives back.
  // A growth factor of 1, read by V8 at each growth, keeps it at its size now (2 x 2 MB after the
  // CLI has loaded). V8 raises the factor back to 2 whenever it creates an isolate (each worker
  // thread), so it is set again once each thread is up. Measured on `scan --live aws` of the
  // inventory bench: the extraction's peak 199-223 MB -> 170-189 MB (docs/benchmarks.md).
  // `--max-semi-space-size` would be the plain way, but it is read only from node's own command
  // line (or NODE_OPTIONS), which `node dist/cli/main.js` and npm's shims do not pass. Measured on
  // Node 20 only: a V8 that clamps the factor to 2 when it is set makes this a no-op, not an error.
  smallYoungGeneration: () => {
    const keep = () => setFlagsFromString('--semi-space-growth-factor=1');
    keep();
    process.on('worker', (worker) => worker.once('online', keep));
  },
};

const code = await runCli(process.argv.slice(2), ctx);
// Let stdout drain before exiting: piping a large JSON document into `jq` must not truncate it.
process.exitCode = code;
if (process.stdout.writableLength === 0) process.exit(code);
else process.stdout.once('drain', () => process.exit(code));
