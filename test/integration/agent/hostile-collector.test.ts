// A hostile collector against the real agent (dist/cli/main.js) on loopback: the collector is
// an HTTP server written here that serves whatever plan a test gives it. What the agent must
// hold against it: a plan interval below --min-interval is raised to it (no tight probe loop); a
// plan larger than --plan-max-bytes is refused as it streams in (the agent's memory stays
// bounded, it keeps its previous plan and survives).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, portdrift, type Proc } from './harness.js';
import { HostileCollector, servingPlan } from './loopback-collector.js';

const plan = (intervalMs: number) => ({
  version: 1,
  agent: 'a1',
  revision: `r-${intervalMs}`,
  intervalMs,
  targets: [],
});

let dir: string;
const collectors: HostileCollector[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-agent-hostile-'));
});
// Once at the end, not after each test: the interval cases run at once (each stops its own agent).
afterAll(async () => {
  await killAll();
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function collector(c: HostileCollector): Promise<HostileCollector> {
  collectors.push(c);
  return c.listen();
}

function agent(url: string, extra: string[] = []): Proc {
  const flags = ['--token', 'tok', '--name', 'a1', '--scope', '127.0.0.0/8', '--flush-timeout', '1s'];
  return portdrift('agent', null, ['agent', '--collector', url, ...flags, ...extra]);
}

async function stop(a: Proc): Promise<void> {
  a.signal('SIGTERM');
  expect((await a.waitExit(10_000)).code).toBe(0);
}

// Each case its own collector and agent (no probes: the plans have no targets), mostly waiting
// on sweep intervals: they run at once.
describe('a plan interval below --min-interval', { concurrent: true }, () => {
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
    // When each sweep started, as its batch header says: the floor is on sweep starts, and when a
    // batch arrives also depends on how busy the machine is.
    const header = (body: string) => JSON.parse(body.split('\n')[0]!) as { startedAt: string };
    const at = c.batches().map((b) => Date.parse(header(b.body).startedAt));
    // Three sweeps in ≥ 2 s; a stop may add one more batch (the sweep in flight), never a burst.
    expect(at.length).toBeGreaterThanOrEqual(3);
    expect(at.length).toBeLessThanOrEqual(4);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(1800);
  });

  it("an interval at or above the floor is the plan's, unchanged", async () => {
    const c = await collector(servingPlan(plan(1000)));
    const a = agent(c.url, ['--min-interval', '500ms']);
    await a.waitForLog('sweep done', 20_000, 2);
    await stop(a);
    expect(a.messages('plan interval is below --min-interval; using --min-interval')).toEqual([]);
  });
});

const MiB = 1024 * 1024;

/**
 * Streams a plan padded to `limit` bytes as fast as the agent reads it, chunked (no
 * Content-Length to refuse it by) or with its true Content-Length when `declare`; resolves with
 * the bytes written when the agent hung up or all was sent.
 */
async function streamHugePlan(res: ServerResponse, limit: number, declare = false): Promise<number> {
  let closed = false;
  res.once('close', () => void (closed = true));
  const head = '{"version":1,"agent":"a1","revision":"huge","intervalMs":500,"targets":[],"padding":"';
  const length = declare ? { 'content-length': head.length + limit + 2 } : {};
  res.writeHead(200, { 'content-type': 'application/json', ...length });
  res.write(head);
  const chunk = Buffer.alloc(MiB, 0x20);
  let sent = 0;
  for (let i = 0; i < limit / MiB && !closed; i++) {
    sent += chunk.length;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!closed) res.end('"}');
  return sent;
}

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

describe('a plan larger than --plan-max-bytes (default 16 MiB)', () => {
  const TOO_LARGE = "GET /v1/plan: the collector's answer is larger than the limit of 16 MiB";

  /** Serves `good` for the first `goodFirst` plan requests, then 64 MiB of padding (at most). */
  const json = { 'content-type': 'application/json' };

  function collectorWithHugePlan(goodFirst: number, declare = false) {
    const streamed: Promise<number>[] = [];
    let plans = 0;
    let heal = false;
    const c = new HostileCollector((req, res) => {
      if (req.method === 'GET' && req.path === '/v1/plan') {
        plans++;
        if (plans <= goodFirst || heal) return void res.writeHead(200, json).end(JSON.stringify(plan(500)));
        return void streamed.push(streamHugePlan(res, 64 * MiB, declare));
      }
      if (req.method === 'POST' && req.path === '/v1/observations') return void res.writeHead(200, json).end('{}');
      res.writeHead(404).end();
    });
    return { c, streamed, heal: () => void (heal = true) };
  }

  it('is refused as it streams in; the agent keeps probing with its previous plan', async () => {
    const h = collectorWithHugePlan(1);
    const c = await collector(h.c);
    const a = agent(c.url, ['--min-interval', '500ms']);
    const refused = await a.waitForLog('cannot fetch the plan', 20_000);
    expect(refused.err).toContain(TOO_LARGE);
    expect(refused.err).toContain('--plan-max-bytes');
    expect(refused.cachedPlan).toBe('r-500');
    const sent = await h.streamed[0]!;
    // The agent hung up shortly past the limit (what sits in socket buffers aside), long before
    // the 64 MiB on offer; the old agent read it all.
    expect(sent).toBeLessThan(32 * MiB);
    const sweeps = a.messages('sweep done').length;
    await a.waitForLog('sweep done', 10_000, sweeps + 2);
    const peak = peakRss(a.pid);
    await stop(a);
    expect(a.exit?.code).toBe(0);
    const last = c.batches().at(-1)!.body.split('\n')[0]!;
    expect(JSON.parse(last)).toMatchObject({ planRevision: 'r-500' });
    expect(peak, `peak RSS ${Math.round(peak / MiB)} MiB`).toBeLessThan(200 * MiB);
  });

  it('with a Content-Length over the limit, is refused before reading; the agent survives', async () => {
    const h = collectorWithHugePlan(1, true);
    const c = await collector(h.c);
    const a = agent(c.url, ['--min-interval', '500ms']);
    const refused = await a.waitForLog('cannot fetch the plan', 20_000);
    expect(refused.err).toMatch(/larger than the limit of 16 MiB \(Content-Length \d+\)/);
    expect(await h.streamed[0]!).toBeLessThan(32 * MiB);
    const sweeps = a.messages('sweep done').length;
    await a.waitForLog('sweep done', 10_000, sweeps + 2);
    await a.waitForLog('cannot fetch the plan', 10_000, 2);
    await stop(a);
  });

  it('without a previous plan: no sweep, requests back off, and a plan of normal size is taken again', async () => {
    const h = collectorWithHugePlan(0);
    const c = await collector(h.c);
    const a = agent(c.url, ['--min-interval', '500ms']);
    const first = await a.waitForLog('cannot fetch the plan', 20_000);
    expect(first).toMatchObject({ cachedPlan: null });
    expect(first.err).toContain(TOO_LARGE);
    await a.waitForLog('cannot fetch the plan', 20_000, 2);
    expect(a.messages('sweep done')).toEqual([]);
    h.heal();
    await a.waitForLog('new plan', 20_000);
    await a.waitForLog('sweep done', 10_000);
    await stop(a);
  });
});
