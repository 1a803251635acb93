// Collector replicas and agents on one PostgreSQL database as real processes of
// dist/cli/main.js on loopback (no namespace lab: the agents probe 127.0.0.1 only, their
// --scope 127.0.0.0/8), for the failure tests that stop the database or kill a replica.
// Every process goes through the agent harness's Proc, so killAll() ends them by PID.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { MAIN, ROOT, portdrift, sleep, type Proc } from '../agent/harness.js';

/** `portdrift ARGS` to its end (bounded): exit code and output, several at once. */
export function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: ROOT, timeout: 30_000, env: { ...process.env, ...env } },
      (err, out, errText) => resolve({ code: err ? ((err.code as number | undefined) ?? null) : 0, out, err: errText }),
    );
  });
}

/** `portdrift token create` on the database; the token. */
export async function token(data: string, role: 'agent' | 'reader', name: string): Promise<string> {
  const scope = role === 'agent' ? ['--scope', '0.0.0.0/0,::/0'] : [];
  const r = await cli(['token', 'create', '--data', data, '--role', role, '--name', name, ...scope]);
  if (r.code !== 0) throw new Error(`token create exited ${r.code}: ${r.err}`);
  return r.out.trim().split('\n').pop()!.trim();
}

/** main.tf and targets.yaml declaring one database port on 127.0.0.1; the collector's flags. */
export function writeLoopbackIac(dir: string, port: number): string[] {
  writeFileSync(
    join(dir, 'main.tf'),
    `resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  port = ${port}\n}\n`,
  );
  writeFileSync(join(dir, 'targets.yaml'), 'targets:\n  - resource: aws_db_instance.orders\n    hosts: [127.0.0.1]\n');
  return ['--iac', join(dir, 'main.tf'), '--targets', join(dir, 'targets.yaml')];
}

export interface Replica {
  proc: Proc;
  url: string;
}

/** `portdrift collector --data URL` on 127.0.0.1:0 (`env` added to the test's); resolves once it listens. */
export async function startReplica(
  label: string,
  data: string,
  iacFlags: string[],
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  const proc = portdrift(
    label,
    null,
    ['collector', '--listen', '127.0.0.1:0', '--data', data, ...iacFlags, '--debounce', '10ms', ...extra],
    env,
  );
  const url = await proc.waitFor('"listening on"', () => /listening on (http\S+?)["\s]/.exec(proc.stderr)?.[1], 30_000);
  return { proc, url } satisfies Replica;
}

/** `portdrift agent` probing 127.0.0.1 every 500 ms, spooling to `spool`. */
export function startAgent(name: string, collector: string, token: string, spool: string): Proc {
  return portdrift(
    `agent ${name}`,
    null,
    [
      'agent',
      '--collector',
      collector,
      '--name',
      name,
      '--scope',
      '127.0.0.0/8',
      '--spool',
      spool,
      '--interval',
      '500ms',
      '--min-interval',
      '500ms',
      '--timeout',
      '300ms',
    ],
    { PORTDRIFT_TOKEN: token },
  );
}

/** The counters an agent logs when it stops. */
export interface AgentStats {
  spooled: number;
  delivered: number;
  rejected: number;
  dropped: number;
  spoolDepth: number;
  flushed: boolean;
}

/** SIGTERM, the bounded wait, and the stats of its "agent stopped" line. */
export async function stopAgent(a: Proc): Promise<AgentStats> {
  a.signal('SIGTERM');
  const exit = await a.waitExit(20_000);
  if (exit.code !== 0) throw new Error(`${a.label} exited ${exit.code ?? exit.signal}:\n${a.stderr.slice(-2000)}`);
  const line = a.messages('agent stopped')[0];
  if (!line) throw new Error(`${a.label}: no "agent stopped" line:\n${a.stderr.slice(-2000)}`);
  return line as unknown as AgentStats;
}

/** One query on `url` with a client of its own. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

export interface Health {
  status: string;
  leader: boolean;
  database: boolean;
  /** The replica's id (its lease holder). */
  replica: string;
  httpStatus: number;
}

export async function health(url: string): Promise<Health> {
  const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
  return { ...((await r.json()) as Omit<Health, 'httpStatus'>), httpStatus: r.status };
}

/** Polls `probe` until it returns a truthy value (bounded); throws naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T>, timeoutMs: number, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms (last: ${String(last)})`);
    await sleep(everyMs);
  }
}
