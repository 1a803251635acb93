// docs/design/architecture.md#quality-bars, bad input: every malformed request is answered 4xx with a JSON error
// body, the collector stays up, and the store passes PRAGMA integrity_check.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, ndjson, post, startTestCollector, type TestCollector } from './harness.js';

const AT = '2026-12-01T10:00:00.000Z';
const header = (id: string) =>
  JSON.stringify({
    t: 'batch',
    v: 1,
    batchId: id,
    agent: 'agent-1',
    agentVersion: '0.1.0',
    planRevision: null,
    startedAt: AT,
    finishedAt: AT,
    spoolDropped: 0,
    spoolDepth: 0,
  });
const obs = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ t: 'obs', host: 'h', ip: '127.0.0.1', port: 22, state: 'open', rttMs: 0.1, at: AT, ...o });

describe('bad input corpus', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector({ maxBatchBytes: 4 * 1024 * 1024 });
  });
  afterAll(async () => {
    await c.stop();
  });

  const ND = { 'content-type': 'application/x-ndjson' };
  const batches: Array<[string, string, string]> = [
    ['broken NDJSON', `${header('k1')}\n{"t":"obs","host":`, 'PD_WIRE_INVALID'],
    ['a line that is not an object', `${header('k2')}\n42\n`, 'PD_WIRE_INVALID'],
    ['port as a string', `${header('k3')}\n${obs({ port: '22' })}\n`, 'PD_WIRE_INVALID'],
    ['port 0', `${header('k4')}\n${obs({ port: 0 })}\n`, 'PD_WIRE_INVALID'],
    ['port 65536', `${header('k5')}\n${obs({ port: 65536 })}\n`, 'PD_WIRE_INVALID'],
    ['a fractional port', `${header('k6')}\n${obs({ port: 22.5 })}\n`, 'PD_WIRE_INVALID'],
    ['an unknown field', `${header('k7')}\n${obs({ color: 'red' })}\n`, 'PD_WIRE_INVALID'],
    ['an unknown record type', `${header('k8')}\n{"t":"nope"}\n`, 'PD_WIRE_INVALID'],
    ['rtt as text', `${header('k9')}\n${obs({ rttMs: 'fast' })}\n`, 'PD_WIRE_INVALID'],
    ['a huge string', `${header('k10')}\n${obs({ host: 'x'.repeat(5000) })}\n`, 'PD_WIRE_INVALID'],
    ['a prototype key', `${header('k11')}\n{"t":"obs","__proto__":{"port":22}}\n`, 'PD_WIRE_INVALID'],
    ['no header', `${obs()}\n`, 'PD_WIRE_INVALID'],
    ['an empty body', '', 'PD_WIRE_INVALID'],
    ['binary garbage', '\u0000\u0001\u00ff\ufffd', 'PD_WIRE_INVALID'],
    ['deep nesting', `${header('k12')}\n${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'PD_WIRE_INVALID'],
  ];
  it.each(batches)('%s → 400 naming the code', async (_name, body, code) => {
    const key = /"batchId":"([^"]+)"/.exec(body)?.[1] ?? 'kx';
    const r = await post(c.url, '/v1/observations', c.tokens.agent, body, { ...ND, 'idempotency-key': key });
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe(code);
  });

  it.each([
    ['no content type', {}, 415],
    ['text/plain', { 'content-type': 'text/plain' }, 415],
    ['application/json', { 'content-type': 'application/json' }, 415],
  ])('wrong content type (%s) → %i', async (_n, headers, status) => {
    const r = await post(c.url, '/v1/observations', c.tokens.agent, ndjson({ id: 'ct' }), {
      ...headers,
      'idempotency-key': 'ct',
    });
    expect(r.status).toBe(status);
    expect((await r.json()).error.code).toBe('PD_HTTP_MEDIA_TYPE');
  });

  it('missing or malformed Idempotency-Key → 400', async () => {
    for (const key of [undefined, '', 'has space', 'x'.repeat(300)]) {
      const r = await post(c.url, '/v1/observations', c.tokens.agent, ndjson({ id: 'ik' }), {
        ...ND,
        ...(key !== undefined ? { 'idempotency-key': key } : {}),
      });
      expect(r.status).toBe(400);
      expect((await r.json()).error.code).toBe('PD_IDEMPOTENCY_KEY');
    }
  });

  it('a 50 MB body with a Content-Length → 413 before it is read', async () => {
    const body = Buffer.alloc(50 * 1024 * 1024, 0x61);
    const r = await post(c.url, '/v1/observations', c.tokens.agent, body as unknown as string, {
      ...ND,
      'idempotency-key': 'big',
    });
    expect(r.status).toBe(413);
    expect((await r.json()).error.code).toBe('PD_HTTP_TOO_LARGE');
  });

  it('a 50 MB chunked body → 413 once past the limit, the rest discarded', async () => {
    const url = new URL('/v1/observations', c.url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', headers: { authorization: `Bearer ${c.tokens.agent}`, ...ND, 'idempotency-key': 'chunked' } },
        (r) => {
          let text = '';
          r.on('data', (d) => (text += d));
          r.on('end', () => {
            resolve({ status: r.statusCode!, body: text });
            // Done once it has the answer (the rest of its body is moot): it hangs up, rather than
            // leave an open connection for the collector's stop to wait out (its 10 s bound).
            req.destroy();
          });
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const write = () => {
        while (sent < 50) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        req.end();
      };
      req.on('response', () => (sent = 50));
      write();
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('PD_HTTP_TOO_LARGE');
  });

  it('bad tokens and wrong roles → 401/403 JSON', async () => {
    for (const auth of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer ',
      `Bearer ${'x'.repeat(600)}`,
      'Bearer a b',
      'Token abc',
    ]) {
      const r = await fetch(new URL('/v1/findings', c.url), { headers: { authorization: auth } });
      expect(r.status).toBe(401);
      expect((await r.json()).error.code).toBe('PD_HTTP_UNAUTHORIZED');
    }
    const r = await post(c.url, '/v1/observations', c.tokens.reader, ndjson({ id: 'role' }), {
      ...ND,
      'idempotency-key': 'role',
    });
    expect(r.status).toBe(403);
  });

  it('bad query parameters and admin bodies → 400', async () => {
    const cases: Array<[Promise<Response>, number]> = [
      [get(c.url, '/v1/findings?status=maybe', c.tokens.reader), 400],
      [get(c.url, '/v1/findings?kind=weird', c.tokens.reader), 400],
      [get(c.url, '/v1/history?limit=-1', c.tokens.reader), 400],
      [get(c.url, '/v1/history?since=yesterday', c.tokens.reader), 400],
      [get(c.url, '/v1/plan?scope=not-a-cidr', c.tokens.agent), 400],
      [get(c.url, '/v1/findings/%E0%A4%A', c.tokens.reader), 400],
      [post(c.url, '/v1/findings/f_x/ack', c.tokens.admin, '{not json', { 'content-type': 'application/json' }), 400],
      [post(c.url, '/v1/findings/f_x/ack', c.tokens.admin, '[]', { 'content-type': 'application/json' }), 400],
      [
        post(c.url, '/v1/findings/f_x/ack', c.tokens.admin, '{"reason":"x"}', { 'content-type': 'application/json' }),
        404,
      ],
      [
        post(c.url, '/v1/findings/f_x/ack', c.tokens.admin, '{"reason":"x","expires":"soon"}', {
          'content-type': 'application/json',
        }),
        400,
      ],
      [
        post(c.url, '/v1/findings/f_x/ack', c.tokens.admin, '{"reason":"x","expiresAt":"2001-01-01T00:00:00Z"}', {
          'content-type': 'application/json',
        }),
        400,
      ],
      [
        post(c.url, '/v1/ignores', c.tokens.admin, '{"resource":"a","reason":"x","expires":"10000000d"}', {
          'content-type': 'application/json',
        }),
        400,
      ],
      [
        post(c.url, '/v1/ignores', c.tokens.admin, '{"resource":"a","reason":"x","expiresAt":"9999-01-01T00:00:00Z"}', {
          'content-type': 'application/json',
        }),
        400,
      ],
      [post(c.url, '/v1/ignores', c.tokens.admin, '{"reason":"x"}', { 'content-type': 'application/json' }), 400],
      [
        post(c.url, '/v1/ignores', c.tokens.admin, '{"resource":"a","port":99999,"reason":"x"}', {
          'content-type': 'application/json',
        }),
        400,
      ],
      [post(c.url, '/v1/ignores', c.tokens.admin, '{"resource":"a"}', { 'content-type': 'application/json' }), 400],
      [post(c.url, '/v1/reload', c.tokens.admin, '', {}), 200],
    ];
    for (const [p, status] of cases) {
      const r = await p;
      expect(r.status, await r.clone().text()).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it('malformed HTTP on a raw socket → 400, and the collector stays up with an intact store', async () => {
    const { connect } = await import('node:net');
    const u = new URL(c.url);
    const answer = await new Promise<string>((resolve) => {
      const s = connect(Number(u.port), u.hostname, () => s.write('GARBAGE / HTTP/9.9\r\n\r\n'));
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('close', () => resolve(text));
      s.on('error', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect((await get(c.url, '/healthz', null)).status).toBe(200);
    expect(await c.running.store.integrityCheck()).toBe('ok');
    expect((await c.running.store.stats()).batches).toBe(0);
  });
});
