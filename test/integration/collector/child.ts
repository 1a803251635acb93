// A collector as a child process (`node dist/cli/main.js collector …`), for the tests that kill
// it. The URL is read from its "listening on" line on stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const MAIN = join(REPO, 'dist', 'cli', 'main.js');
export const BUILT = existsSync(MAIN);

export interface Child {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export async function spawnCollector(args: string[], cwd: string): Promise<Child> {
  const proc = spawn(process.execPath, [MAIN, 'collector', '--listen', '127.0.0.1:0', '--log-level', 'warn', ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`collector did not start within 20 s:\n${err}`)), 20_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`collector exited with ${code} before listening:\n${err}`));
    });
  });
  return { proc, url, stderr: () => err, exited };
}
