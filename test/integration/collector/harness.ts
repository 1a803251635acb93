// A real collector for tests: a temp dir with a small Terraform project and targets file, a real
// SQLite file, the HTTP server on 127.0.0.1 port 0, and one token per role.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectorConfig } from '../../../collector/config.js';
import { startCollector, type RunningCollector } from '../../../collector/daemon.js';
import { silentLogger } from '../../../shared/log.js';

export const MAIN_TF = `resource "aws_db_instance" "orders" {
  engine = "postgres"
  port   = 5432
}

resource "aws_elasticache_cluster" "cache" {
  engine = "redis"
  port   = 6379
}
`;

export const TARGETS = `targets:
  - resource: aws_db_instance.orders
    hosts: [127.0.0.1]
  - resource: aws_elasticache_cluster.cache
    hosts: [10.9.0.7]
`;

export interface TestCollector {
  dir: string;
  url: string;
  running: RunningCollector;
  tokens: { agent: string; reader: string; admin: string };
  /** `keep`: leave the directory for a restart. */
  stop(keep?: boolean): Promise<void>;
}

export function writeIac(dir: string): void {
  writeFileSync(join(dir, 'main.tf'), MAIN_TF);
  writeFileSync(join(dir, 'targets.yaml'), TARGETS);
}

/**
 * `reuse`: start on the directory (IaC and store) of a stopped collector; its tokens are created
 * anew. `clock`: the collector's clock (retention tests move it forward).
 */
export async function startTestCollector(
  flags: Record<string, unknown> = {},
  reuse?: string,
  clock?: () => number,
): Promise<TestCollector> {
  const dir = reuse ?? mkdtempSync(join(tmpdir(), 'pd-collector-'));
  if (!reuse) writeIac(dir);
  const config = collectorConfig(undefined, {
    iac: [join(dir, 'main.tf')],
    targets: join(dir, 'targets.yaml'),
    data: join(dir, 'pd.db'),
    listen: '127.0.0.1:0',
    debounce: '10ms',
    logLevel: 'silent',
    ...flags,
  });
  const running = await startCollector(config, { cwd: dir, log: silentLogger(), ...(clock ? { now: clock } : {}) });
  const now = new Date().toISOString();
  const tokens = {
    agent: (await running.store.createToken({ name: 'agent-1', role: 'agent', now })).token,
    reader: (await running.store.createToken({ name: 'reader-1', role: 'reader', now })).token,
    admin: (await running.store.createToken({ name: 'admin-1', role: 'admin', now })).token,
  };
  return {
    dir,
    url: running.url,
    running,
    tokens,
    async stop(keep = false) {
      await running.stop();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BatchSpec {
  id: string;
  agent?: string;
  at?: string;
  /** The header's spoolDepth (default 0: nothing spooled behind this batch). */
  spoolDepth?: number;
  sweeps?: Array<{ host: string; ip: string | null; ports: string; closed: string; confirmed?: true }>;
  obs?: Array<{ host: string; ip: string; port: number; state: 'open' | 'closed' | 'filtered' | 'unreachable' }>;
}

export function ndjson(b: BatchSpec): string {
  const at = b.at ?? new Date().toISOString();
  const lines: unknown[] = [
    {
      t: 'batch',
      v: 1,
      batchId: b.id,
      agent: b.agent ?? 'agent-1',
      agentVersion: '0.1.0',
      planRevision: null,
      startedAt: at,
      finishedAt: at,
      spoolDropped: 0,
      spoolDepth: b.spoolDepth ?? 0,
    },
    ...(b.sweeps ?? []).map((s) => ({ t: 'sweep', ...s, at })),
    ...(b.obs ?? []).map((o) => ({
      t: 'obs',
      ...o,
      rttMs: o.state === 'open' || o.state === 'closed' ? 0.1 : null,
      at,
    })),
  ];
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}

export function post(
  url: string,
  path: string,
  token: string | null,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(new URL(path, url), {
    method: 'POST',
    body,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
}

export function postBatch(url: string, token: string, b: BatchSpec): Promise<Response> {
  return post(url, '/v1/observations', token, ndjson(b), {
    'content-type': 'application/x-ndjson',
    'idempotency-key': b.id,
  });
}

export function get(
  url: string,
  path: string,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(new URL(path, url), { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}
