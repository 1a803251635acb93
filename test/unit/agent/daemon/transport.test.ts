// The agent's client against a real HTTP server on loopback.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CollectorClient } from '../../../../agent/daemon/transport.js';
import { PortdriftError } from '../../../../shared/errors.js';
import { silentLogger } from '../../../../shared/log.js';
import type { Plan } from '../../../../shared/types.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: Socket;
}

let server: Server;
let url: string;
let seen: Seen[];
let handler: (req: Seen, res: ServerResponse) => void;
let client: CollectorClient | undefined;

beforeEach(async () => {
  seen = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socket: req.socket,
      };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function make(extra: Partial<ConstructorParameters<typeof CollectorClient>[0]> = {}): CollectorClient {
  client = new CollectorClient({
    url,
    token: 'tok-123',
    userAgent: 'portdrift-agent/0.1.0',
    attempts: 4,
    backoff: { baseMs: 5, maxMs: 20 },
    logger: silentLogger(),
    ...extra,
  });
  return client;
}

const plan: Plan = {
  version: 1,
  agent: 'a1',
  revision: 'r1',
  intervalMs: 1000,
  targets: [{ host: '10.0.0.5', declared: [5432], discovery: '5420-5440', resources: ['aws_db_instance.orders'] }],
};

describe('CollectorClient.getPlan', () => {
  it('sends the token, user agent and scope, then uses If-None-Match', async () => {
    handler = (req, res) => {
      if (req.headers['if-none-match'] === '"r1"') return void res.writeHead(304).end();
      res.writeHead(200, { 'content-type': 'application/json', etag: '"r1"' }).end(JSON.stringify(plan));
    };
    const c = make();
    expect(await c.getPlan(null, ['10.0.0.0/24', 'fd00::/64'])).toEqual({ kind: 'plan', plan, etag: '"r1"' });
    expect(await c.getPlan('"r1"', ['10.0.0.0/24'])).toEqual({ kind: 'unchanged' });
    expect(seen[0]!.headers.authorization).toBe('Bearer tok-123');
    expect(seen[0]!.headers['user-agent']).toBe('portdrift-agent/0.1.0');
    expect(new URL(seen[0]!.url, url).searchParams.getAll('scope')).toEqual(['10.0.0.0/24', 'fd00::/64']);
    expect(new URL(seen[0]!.url, url).pathname).toBe('/v1/plan');
    // Keep-alive: both requests on one connection.
    expect(seen[1]!.socket).toBe(seen[0]!.socket);
  });

  it('refuses an invalid plan body', async () => {
    handler = (_req, res) =>
      res.writeHead(200).end(JSON.stringify({ ...plan, targets: [{ host: 'x', declared: [0], discovery: '' }] }));
    await expect(make().getPlan(null, [])).rejects.toMatchObject({
      code: 'PD_COLLECTOR_RESPONSE',
      message: expect.stringContaining('targets[0].declared'),
    });
  });

  it('refuses a plan whose Content-Length is over planMaxBytes, once (no retry)', async () => {
    const big = JSON.stringify({ ...plan, padding: 'x'.repeat(4096) });
    handler = (_req, res) => res.writeHead(200, { 'content-length': Buffer.byteLength(big) }).end(big);
    const err = await make({ planMaxBytes: 2048 })
      .getPlan(null, [])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PD_COLLECTOR_RESPONSE', details: { limit: 2048 } });
    expect((err as Error).message).toMatch(/larger than the limit of 2 KiB \(Content-Length \d+\).*--plan-max-bytes/);
    expect(seen).toHaveLength(1);
  });

  it('stops reading a streamed (chunked) plan as soon as it passes planMaxBytes', async () => {
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        // Bounded: 64 MiB at most, unless the client hangs up first.
        while (written < 64 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      res.once('close', () => res.removeAllListeners('drain'));
      pump();
    };
    const err = await make({ planMaxBytes: 256 * 1024 })
      .getPlan(null, [])
      .catch((e: unknown) => e);
    const message = expect.stringContaining('bytes received so far');
    expect(err).toMatchObject({ code: 'PD_COLLECTOR_RESPONSE', message });
    await new Promise((r) => setTimeout(r, 200));
    expect(written).toBeLessThan(16 * 1024 * 1024);
    expect(seen).toHaveLength(1);
  });

  it('takes a plan of exactly planMaxBytes', async () => {
    const base = JSON.stringify(plan);
    const exact = `${base.slice(0, -1)},"padding":"${'x'.repeat(2048 - base.length - 13)}"}`;
    expect(Buffer.byteLength(exact)).toBe(2048);
    handler = (_req, res) => res.writeHead(200).end(exact);
    const got = await make({ planMaxBytes: 2048 }).getPlan(null, []);
    expect(got).toMatchObject({ kind: 'plan', plan: { revision: 'r1' } });
  });

  it('does not retry a 401 and says what the collector answered', async () => {
    handler = (_req, res) =>
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'PD_HTTP_UNAUTHORIZED', message: 'no valid token' } }));
    await expect(make().getPlan(null, [])).rejects.toMatchObject({
      code: 'PD_COLLECTOR_RESPONSE',
      message: expect.stringContaining('401 PD_HTTP_UNAUTHORIZED'),
    });
    expect(seen).toHaveLength(1);
  });
});

describe('CollectorClient.sendBatch', () => {
  const body = '{"t":"batch"}\n{"t":"obs"}\n';

  it('retries POST on 503 with the same Idempotency-Key and body until accepted', async () => {
    handler = (_req, res) =>
      seen.length < 3 ? res.writeHead(503).end('busy') : res.writeHead(200).end('{"accepted":true}');
    expect(await make().sendBatch('b-1', body)).toEqual({ kind: 'accepted', status: 200 });
    expect(seen).toHaveLength(3);
    for (const s of seen) {
      expect(s.method).toBe('POST');
      expect(s.url).toBe('/v1/observations');
      expect(s.headers['idempotency-key']).toBe('b-1');
      expect(s.headers['content-type']).toBe('application/x-ndjson');
      expect(s.body).toBe(body);
    }
  });

  it('honours Retry-After (capped by the backoff maximum)', async () => {
    handler = (_req, res) =>
      seen.length < 2 ? res.writeHead(429, { 'retry-after': '3600' }).end() : res.writeHead(200).end();
    const t0 = Date.now();
    expect((await make({ backoff: { baseMs: 1, maxMs: 300 } }).sendBatch('b-2', body)).kind).toBe('accepted');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
  });

  it('waits through the injected sleep: Retry-After in full, else the jittered backoff (no real waiting)', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => (waits.push(ms), true);
    handler = (_req, res) => {
      if (seen.length === 1) res.writeHead(503, { 'retry-after': '7' }).end();
      else res.writeHead(seen.length < 4 ? 502 : 200).end();
    };
    const c = make({ attempts: 5, backoff: { baseMs: 1000, maxMs: 60_000 }, random: () => 1, sleep });
    const t0 = Date.now();
    expect((await c.sendBatch('b-sleep', body)).kind).toBe('accepted');
    expect(waits).toEqual([7000, 2000, 4000]);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('reports a 400 as rejected for good (never retried)', async () => {
    handler = (_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'PD_WIRE_INVALID', message: 'line 2: t' } }));
    expect(await make().sendBatch('b-3', body)).toEqual({
      kind: 'rejected',
      status: 400,
      code: 'PD_WIRE_INVALID',
      message: 'line 2: t',
    });
    expect(seen).toHaveLength(1);
  });

  it('reports a 403 PD_RECORD_OUT_OF_SCOPE as rejected for good; any other 403 stays an error', async () => {
    const message = 'line 2: ip 10.9.0.1 is outside';
    const forbid = (code: string) => (_req: unknown, res: ServerResponse) =>
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
    handler = forbid('PD_RECORD_OUT_OF_SCOPE');
    const got = await make().sendBatch('b-4', body);
    expect(got).toEqual({ kind: 'rejected', status: 403, code: 'PD_RECORD_OUT_OF_SCOPE', message });
    expect(seen).toHaveLength(1);
    // A wrong name or a revoked token: the batch waits in the spool until the operator fixes it.
    handler = forbid('PD_HTTP_FORBIDDEN');
    const err = { code: 'PD_COLLECTOR_RESPONSE', message: expect.stringContaining('403 PD_HTTP_FORBIDDEN') };
    await expect(make().sendBatch('b-5', body)).rejects.toMatchObject(err);
  });

  it('throws PD_COLLECTOR_UNREACHABLE after its attempts when nothing listens', async () => {
    handler = (_req, res) => res.end();
    const c = make({ attempts: 3 });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    server = createServer(); // so afterEach has something to close
    server.listen(0, '127.0.0.1');
    const err = await c.sendBatch('b-4', body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortdriftError);
    expect((err as PortdriftError).code).toBe('PD_COLLECTOR_UNREACHABLE');
    expect((err as PortdriftError).message).toContain('ECONNREFUSED');
  });

  it('stops retrying at once when aborted', async () => {
    handler = (_req, res) => res.writeHead(503).end();
    const ac = new AbortController();
    const c = make({ attempts: 100, backoff: { baseMs: 200, maxMs: 200 }, random: () => 1 });
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    await expect(c.sendBatch('b-5', body, ac.signal)).rejects.toBeInstanceOf(PortdriftError);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(seen.length).toBeLessThan(5);
  });

  it('rejects a non-http collector URL', () => {
    expect(() => make({ url: 'ftp://x' })).toThrow(/http\(s\) URL/);
    client = undefined;
  });
});
