import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, MAIN_TF, post, postBatch, startTestCollector, type TestCollector } from './harness.js';

describe('collector API over real HTTP and SQLite', () => {
  let c: TestCollector;
  beforeEach(async () => {
    c = await startTestCollector();
  });
  afterEach(async () => {
    await c.stop();
  });

  it(
    'serves the plan with an ETag, answers 304 to ' + 'If-None-Match, and filters by the scope the agent sends',
    async () => {
      const r = await get(c.url, '/v1/plan?scope=127.0.0.0/8', c.tokens.agent);
      expect(r.status).toBe(200);
      const plan = await r.json();
      expect(plan).toMatchObject({ version: 1, agent: 'agent-1', intervalMs: 300_000 });
      expect(plan.targets.map((t: { host: string }) => t.host)).toEqual(['127.0.0.1']);
      expect(plan.targets[0].declared).toEqual([5432]);
      expect(plan.targets[0].discovery).toContain('5422-5431');
      const etag = r.headers.get('etag')!;
      expect(etag).toBe(`"${plan.revision}"`);
      expect((await get(c.url, '/v1/plan?scope=127.0.0.0/8', c.tokens.agent, { 'if-none-match': etag })).status).toBe(
        304,
      );
      const all = await (await get(c.url, '/v1/plan', c.tokens.agent, { 'if-none-match': etag })).json();
      expect(all.targets.map((t: { host: string }) => t.host)).toEqual(['10.9.0.7', '127.0.0.1']);
      const bad = await get(c.url, '/v1/plan?scope=10.0.0.1/8', c.tokens.agent);
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe('PD_HTTP_BAD_REQUEST');
    },
  );

  it('stores a batch once: the repeat answers 200 with the same body and Idempotent-Replayed', async () => {
    const b = { id: 'b-1', obs: [{ host: '127.0.0.1', ip: '127.0.0.1', port: 5433, state: 'open' as const }] };
    const first = await postBatch(c.url, c.tokens.agent, b);
    expect(first.status).toBe(200);
    const body = await first.json();
    const again = await postBatch(c.url, c.tokens.agent, b);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(body);
    const [agent] = await c.running.store.agents();
    expect(agent).toMatchObject({ name: 'agent-1', batches: 1, observations: 1 });
  });

  it(
    "refuses a batch under another agent's name than " + "its token's: one token cannot write as another agent",
    async () => {
      const before = (await c.running.store.agents()).map((a) => a.name);
      const r = await postBatch(c.url, c.tokens.agent, {
        id: 'impostor-1',
        agent: 'subnet-b',
        obs: [{ host: '127.0.0.1', ip: '127.0.0.1', port: 5432, state: 'open' }],
      });
      expect(r.status).toBe(403);
      const { error } = await r.json();
      expect(error.code).toBe('PD_HTTP_FORBIDDEN');
      expect(error.message).toBe(
        'this token belongs to agent "agent-1"; a batch of agent "subnet-b" is refused (start ' +
          'the agent with --name agent-1, or give it a token created with --name subnet-b)',
      );
      expect((await c.running.store.agents()).map((a) => a.name)).toEqual(before);
    },
  );

  it('refuses a batch whose Idempotency-Key is not its batch id', async () => {
    const r = await post(
      c.url,
      '/v1/observations',
      c.tokens.agent,
      `${JSON.stringify({
        t: 'batch',
        v: 1,
        batchId: 'x',
        agent: 'a',
        agentVersion: '1',
        planRevision: null,
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        spoolDropped: 0,
        spoolDepth: 0,
      })}\n`,
      { 'content-type': 'application/x-ndjson', 'idempotency-key': 'y' },
    );
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe('PD_IDEMPOTENCY_KEY');
  });

  const routes: Array<[string, string, 'agent' | 'reader' | 'admin']> = [
    ['GET', '/v1/plan', 'agent'],
    ['POST', '/v1/observations', 'agent'],
    ['GET', '/v1/findings', 'reader'],
    ['GET', '/v1/agents', 'reader'],
    ['GET', '/v1/history', 'reader'],
    ['GET', '/v1/ignores', 'reader'],
    ['GET', '/metrics', 'reader'],
    ['POST', '/v1/findings/f_x/ack', 'admin'],
    ['POST', '/v1/ignores', 'admin'],
    ['POST', '/v1/reload', 'admin'],
  ];
  it.each(routes)(
    '%s %s: 401 without a token or with a bad one, 403 for the wrong role',
    async (method, path, role) => {
      const call = (token: string | null) =>
        fetch(new URL(path, c.url), {
          method,
          headers: token ? { authorization: `Bearer ${token}` } : {},
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
      for (const token of [null, 'pdt_not-a-token', c.tokens.agent.slice(0, -1)]) {
        const r = await call(token);
        expect(r.status).toBe(401);
        expect((await r.json()).error.code).toBe('PD_HTTP_UNAUTHORIZED');
      }
      const wrong =
        role === 'agent'
          ? [c.tokens.reader, c.tokens.admin]
          : role === 'reader'
            ? [c.tokens.agent]
            : [c.tokens.agent, c.tokens.reader];
      for (const token of wrong) {
        const r = await call(token);
        expect(r.status).toBe(403);
        expect((await r.json()).error.code).toBe('PD_HTTP_FORBIDDEN');
      }
    },
  );

  it('answers /healthz without a token, unknown routes 404 and wrong methods 405', async () => {
    expect((await get(c.url, '/healthz', null)).status).toBe(200);
    const nf = await get(c.url, '/v2/nothing', c.tokens.reader);
    expect(nf.status).toBe(404);
    expect((await nf.json()).error.code).toBe('PD_HTTP_NOT_FOUND');
    const m = await fetch(new URL('/v1/findings', c.url), { method: 'DELETE' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('GET');
  });

  it('serves Prometheus metrics to a reader', async () => {
    await postBatch(c.url, c.tokens.agent, {
      id: 'm-1',
      obs: [{ host: '127.0.0.1', ip: '127.0.0.1', port: 22, state: 'open' }],
    });
    const r = await get(c.url, '/metrics', c.tokens.reader);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    expect(text).toMatch(/^portdrift_ingest_observations_total 1$/m);
    expect(text).toMatch(/^portdrift_findings_open\{kind="missing",severity="high"\} \d+$/m);
    expect(text).toMatch(/^portdrift_store_bytes \d+$/m);
    expect(text).toMatch(/^portdrift_agent_spool_depth\{agent="agent-1"\} 0$/m);
  });

  it(
    'an ignore rule (reason required) takes its endpoints out ' +
      'of the plan and the findings; deleting it brings them back',
    async () => {
      const plan1 = await get(c.url, '/v1/plan', c.tokens.agent);
      const etag = plan1.headers.get('etag')!;
      const r = await post(
        c.url,
        '/v1/ignores',
        c.tokens.admin,
        JSON.stringify({ resource: 'aws_elasticache_cluster.*', reason: 'decommissioned next week', expires: '7d' }),
        { 'content-type': 'application/json' },
      );
      expect(r.status).toBe(201);
      const { ignore } = await r.json();
      expect(ignore).toMatchObject({
        by: 'admin-1',
        reason: 'decommissioned next week',
        expiresAt: expect.any(String),
      });
      const plan2 = await get(c.url, '/v1/plan', c.tokens.agent, { 'if-none-match': etag });
      expect(plan2.status).toBe(200);
      const p2 = await plan2.json();
      expect(p2.targets.find((t: { host: string }) => t.host === '10.9.0.7')?.declared ?? []).toEqual([]);
      expect((await (await get(c.url, '/v1/ignores', c.tokens.reader)).json()).ignores).toHaveLength(1);
      const del = await fetch(new URL(`/v1/ignores/${ignore.id}`, c.url), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${c.tokens.admin}` },
      });
      expect(del.status).toBe(200);
      const p3 = await (await get(c.url, '/v1/plan', c.tokens.agent)).json();
      expect(p3.targets.find((t: { host: string }) => t.host === '10.9.0.7').declared).toEqual([6379]);
    },
  );

  it('reloads the IaC on POST /v1/reload: a changed port changes the plan revision', async () => {
    const before = await (await get(c.url, '/v1/plan', c.tokens.agent)).json();
    writeFileSync(join(c.dir, 'main.tf'), MAIN_TF.replace('5432', '5434'));
    const r = await post(c.url, '/v1/reload', c.tokens.admin, '');
    expect(r.status).toBe(200);
    expect((await r.json()).endpoints).toBe(2);
    const after = await (await get(c.url, '/v1/plan', c.tokens.agent)).json();
    expect(after.revision).not.toBe(before.revision);
    expect(after.targets.find((t: { host: string }) => t.host === '127.0.0.1').declared).toEqual([5434]);
    writeFileSync(join(c.dir, 'main.tf'), 'resource "aws_db_instance" "x" {\n  port = "not a port"\n');
    const broken = await post(c.url, '/v1/reload', c.tokens.admin, '');
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toMatchObject({
      code: 'PD_IAC_NOTHING_READ',
      message: expect.stringMatching(/no IaC could be extracted from [\s\S]*main\.tf:\d+: /),
    });
    expect((await (await get(c.url, '/v1/plan', c.tokens.agent)).json()).revision).toBe(after.revision);
  });
});
