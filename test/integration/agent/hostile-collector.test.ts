// A hostile collector against the real agent (dist/cli/main.js) on loopback: the collector is
// an HTTP server written here that serves whatever plan a test gives it. What the agent must
// hold against it: a plan interval below --min-interval is raised to it (no tight probe loop).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, portdrift, type Proc } from './harness.js';

interface Received {
  method: string;
  path: string;
  at: number;
  body: string;
}

/** An HTTP "collector" on 127.0.0.1 answering with `handler`; every request is recorded. */
class HostileCollector {
  readonly received: Received[] = [];
  private server: Server;
  url = '';

  constructor(private handler: (req: Received, res: ServerResponse, raw: IncomingMessage) => void) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { method: req.method ?? '', path: new URL(req.url ?? '/', 'http://x').pathname, at: Date.now(), body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(r);
        this.handler(r, res, req);
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  batches(): Received[] {
    return this.received.filter((r) => r.method === 'POST' && r.path === '/v1/observations');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** A collector serving `plan` (any JSON) and accepting every batch. */
function servingPlan(plan: unknown): HostileCollector {
  const body = JSON.stringify(plan);
  return new HostileCollector((req, res) => {
    if (req.method === 'GET' && req.path === '/v1/plan') return void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    if (req.method === 'POST' && req.path === '/v1/observations') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    res.writeHead(404).end();
  });
}

const plan = (intervalMs: number) => ({ version: 1, agent: 'a1', revision: `r-${intervalMs}`, intervalMs, targets: [] });

let dir: string;
const collectors: HostileCollector[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-agent-hostile-'));
});
afterEach(async () => {
  await killAll();
  await Promise.all(collectors.splice(0).map((c) => c.close()));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function collector(c: HostileCollector): Promise<HostileCollector> {
  collectors.push(c);
  return c.listen();
}

function agent(url: string, extra: string[] = []): Proc {
  return portdrift('agent', null, ['agent', '--collector', url, '--token', 'tok', '--name', 'a1', '--scope', '127.0.0.0/8', '--flush-timeout', '1s', ...extra]);
}

async function stop(a: Proc): Promise<void> {
  a.signal('SIGTERM');
  expect((await a.waitExit(10_000)).code).toBe(0);
}

describe('a plan interval below --min-interval', () => {
  it('is raised to the default floor (30 s): intervalMs 1 gives one sweep, not thousands', async () => {
    const c = await collector(servingPlan(plan(1)));
    const a = agent(c.url);
    await a.waitForLog('sweep done', 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(a.messages('sweep done')).toHaveLength(1);
    expect(c.batches()).toHaveLength(1);
    expect(c.received.filter((r) => r.path === '/v1/plan')).toHaveLength(1);
    const raised = a.messages('plan interval is below --min-interval; using --min-interval');
    expect(raised, 'logged once').toHaveLength(1);
    expect(raised[0]).toMatchObject({ planIntervalMs: 1, minIntervalMs: 30_000 });
    await stop(a);
  });

  it('is raised to --min-interval when given: sweeps start at least that far apart', async () => {
    const c = await collector(servingPlan(plan(1)));
    const a = agent(c.url, ['--min-interval', '1s']);
    await a.waitForLog('sweep done', 20_000, 3);
    await stop(a);
    const at = c.batches().map((b) => b.at);
    // Three sweeps in ≥ 2 s; a stop may add one more batch (the sweep in flight), never a burst.
    expect(at.length).toBeGreaterThanOrEqual(3);
    expect(at.length).toBeLessThanOrEqual(4);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(1800);
  });

  it('an interval at or above the floor is the plan\'s, unchanged', async () => {
    const c = await collector(servingPlan(plan(1000)));
    const a = agent(c.url, ['--min-interval', '500ms']);
    await a.waitForLog('sweep done', 20_000, 2);
    await stop(a);
    expect(a.messages('plan interval is below --min-interval; using --min-interval')).toEqual([]);
  });
});
