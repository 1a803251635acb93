// `portdrift` as a real child process of dist/cli/main.js against the AWS wire-protocol server
// of test/aws/server.ts (AWS_ENDPOINT_URL): the product's SDK clients run unchanged, with static
// keys. The child's environment is built from scratch, so the credential chain never reaches the
// network: no AWS_CONTAINER_CREDENTIALS_*, AWS_EC2_METADATA_DISABLED=true, HOME an empty temp dir.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type AwsServer, type AwsWorld, startAwsServer } from '../../aws/server.js';

const main = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');

/** The example keys of AWS's documentation, which the test server takes. */
export const KEYS = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

/** An empty HOME for the children of one test file: made before its tests, removed after them. */
export function tempHome(prefix: string): () => string {
  let home = '';
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  return () => home;
}

/** A child's whole environment: PATH, HOME, no instance metadata, and `extra` (which wins). */
export function childEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

/** childEnv in eu-west-1, pointed at `server` when there is one. */
export function awsEnv(
  home: string,
  server: AwsServer | null,
  extra: Record<string, string> = {},
): Record<string, string> {
  return childEnv(home, { AWS_REGION: 'eu-west-1', ...(server ? { AWS_ENDPOINT_URL: server.url } : {}), ...extra });
}

export interface ChildRun {
  code: number;
  out: string;
  err: string;
}

/** `portdrift ARGS` in `cwd` with exactly `env` and `input` on its standard input; bounded at 60 s. */
export function cli(args: string[], cwd: string, env: Record<string, string>, input = ''): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [main, ...args], { cwd, env, timeout: 60_000 }, (error, out, err) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out, err });
    });
    child.stdin?.end(input);
  });
}

/** Runs `fn` against a server of `world`, closed afterwards whatever happens. */
export async function withServer<T>(world: AwsWorld, fn: (s: AwsServer) => Promise<T>): Promise<T> {
  const server = await startAwsServer(world);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}
