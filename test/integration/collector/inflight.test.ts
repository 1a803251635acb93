// The collector bounds the bytes of observation batches in flight across requests: past
// `maxInflightBytes` a batch is answered 503 with Retry-After before its body is read (agents
// back off and keep it spooled), and the batches in flight complete. Real collector, real HTTP.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, ndjson, startTestCollector, type TestCollector } from './harness.js';

const MiB = 1024 * 1024;
const LOOP = '127.0.0.1';

/** A valid batch of about `bytes` bytes (observations of the model's host 127.0.0.1). */
function bigBatch(id: string, bytes: number): Buffer {
  const obs = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ host: LOOP, ip: LOOP, port: 1 + (i % 65535), state: 'filtered' as const }));
  const per = ndjson({ id, obs: obs(2) }).length - ndjson({ id, obs: obs(1) }).length;
  return Buffer.from(ndjson({ id, obs: obs(Math.floor(bytes / per)) }));
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Open {
  req: ClientRequest;
  answer: Promise<Answer>;
}

/** Start a POST of `body`, sending only its first `sent` bytes for now; `length: false` sends it chunked. */
function start(url: string, token: string, id: string, body: Buffer, sent: number, length = true): Open {
  const u = new URL('/v1/observations', url);
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/x-ndjson',
    'idempotency-key': id,
    ...(length ? { 'content-length': body.length } : {}),
  };
  const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, sent));
  return { req, answer };
}

describe('bytes in flight', () => {
  let c: TestCollector;
  const inflight = async () => {
    const text = await (await get(c.url, '/metrics', c.tokens.reader)).text();
    return Number(/^portdrift_http_inflight_bytes (\d+)$/m.exec(text)?.[1] ?? -1);
  };
  beforeAll(async () => {
    c = await startTestCollector({ maxBatchBytes: 4 * MiB, maxInflightBytes: 7 * MiB });
  });
  afterAll(async () => {
    await c.stop();
  });

  it('answers 503 with Retry-After past the cap, completes the batches in flight, and stays up', async () => {
    const a = bigBatch('in-a', 3 * MiB);
    const b = bigBatch('in-b', 3 * MiB);
    const x = bigBatch('in-x', 3 * MiB);
    const first = start(c.url, c.tokens.agent, 'in-a', a, MiB);
    const second = start(c.url, c.tokens.agent, 'in-b', b, MiB);
    const t0 = Date.now();
    while ((await inflight()) < a.length + b.length && Date.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await inflight()).toBe(a.length + b.length);

    const third = start(c.url, c.tokens.agent, 'in-x', x, 0);
    third.req.end(x);
    const busy = await third.answer;
    expect(busy.status).toBe(503);
    expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(busy.body).error).toMatchObject({ code: 'PD_HTTP_BUSY', details: { limitBytes: 7 * MiB } });

    // A chunked batch (no Content-Length) is counted as it arrives, and refused when it passes the cap.
    const chunked = start(c.url, c.tokens.agent, 'in-y', bigBatch('in-y', 3 * MiB), 0, false);
    chunked.req.end(bigBatch('in-y', 3 * MiB));
    const refused = await chunked.answer;
    expect(refused.status).toBe(503);

    first.req.end(a.subarray(MiB));
    second.req.end(b.subarray(MiB));
    expect((await first.answer).status).toBe(200);
    expect((await second.answer).status).toBe(200);
    expect(await inflight()).toBe(0);
    // The refused batch, resent once the others are through, is stored.
    const again = start(c.url, c.tokens.agent, 'in-x', x, 0);
    again.req.end(x);
    expect((await again.answer).status).toBe(200);
    expect((await get(c.url, '/healthz', null)).status).toBe(200);
    const metrics = await (await get(c.url, '/metrics', c.tokens.reader)).text();
    expect(metrics).toMatch(/^portdrift_ingest_busy_total 2$/m);
  });
});
