// A real collector (a child process of dist/cli/main.js on loopback, a real SQLite file) with an
// enroll secret and a reader token, for the tests that run agents exactly as the shipped
// manifests and units start them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN, ROOT, portdrift, sleep, type Proc } from '../agent/harness.js';

export interface FleetCollector {
  dir: string;
  url: string;
  reader: string;
  secret: string;
  proc: Proc;
}

export interface AgentRow {
  name: string;
  version: string | null;
  batches: number;
  spoolDepth: number;
  spoolDropped: number;
  late: boolean;
  keyAgeMs: number | null;
  enrolledBy: string | null;
  pod: { name?: string; namespace?: string; ip?: string; node?: string; labels?: Record<string, string> } | null;
  workloads: string[];
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000, cwd: ROOT });
  if (r.status !== 0) throw new Error(`portdrift ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout.trim();
}

/** `iac`: files (name → text) the collector compares against; `scope`: the enroll secret's CIDRs. */
export async function startFleetCollector(iac: Record<string, string>, scope: string[]): Promise<FleetCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'pd-fleet-'));
  for (const [name, text] of Object.entries(iac)) writeFileSync(join(dir, name), text);
  const data = join(dir, 'pd.db');
  const reader = cli(['token', 'create', '--data', data, '--role', 'reader', '--name', 'ops']);
  const secret = cli([
    'token',
    'create',
    '--data',
    data,
    '--role',
    'enroll',
    '--name',
    'fleet',
    '--expires',
    '1h',
    ...scope.flatMap((s) => ['--scope', s]),
  ]);
  const proc = portdrift('collector', null, [
    'collector',
    '--listen',
    '127.0.0.1:0',
    ...Object.keys(iac).flatMap((f) => ['--iac', join(dir, f)]),
    '--data',
    data,
    '--debounce',
    '10ms',
  ]);
  const url = await proc.waitFor('"listening on"', () => /listening on (http\S+?)["\s]/.exec(proc.stderr)?.[1], 20_000);
  return { dir, url, reader, secret, proc };
}

export async function agentRows(c: FleetCollector): Promise<AgentRow[]> {
  const r = await fetch(new URL('/v1/agents', c.url), { headers: { authorization: `Bearer ${c.reader}` } });
  return ((await r.json()) as { agents: AgentRow[] }).agents;
}

/** Waits (bounded) until every name has at least one accepted batch; the rows then. */
export async function waitForAgents(
  c: FleetCollector,
  names: string[],
  procs: Proc[],
  timeoutMs = 30_000,
): Promise<AgentRow[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = await agentRows(c);
    if (names.every((n) => (rows.find((r) => r.name === n)?.batches ?? 0) >= 1)) return rows;
    const dead = procs.find((p) => p.exit !== null);
    if (dead || Date.now() > end) {
      const tails = procs
        .map((p) => `--- ${p.label} (exit ${JSON.stringify(p.exit)}):\n${p.stderr.slice(-1500)}`)
        .join('\n');
      throw new Error(
        `agents ${names.join(', ')}: not all reported; have ` +
          `${JSON.stringify(rows.map((r) => [r.name, r.batches]))}\n${tails}`,
      );
    }
    await sleep(200);
  }
}

const REFUSAL = /(?<![\w.])403(?![\w.])|FORBIDDEN|not taking batches/;

/** What must not be in an agent's log: a refusal (403), a rejected batch, any error line. */
export function refusals(p: Proc): string[] {
  const bad = p
    .logs()
    // 403 as a status or in a message, not inside a time (`…:31.403Z`), a number or an id; not the pid.
    .filter(({ pid: _pid, ...l }) => (l.level ?? 0) >= 50 || REFUSAL.test(JSON.stringify(l)));
  return bad.map((l) => JSON.stringify(l).slice(0, 300));
}
