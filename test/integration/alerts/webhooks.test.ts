// Webhooks against a real HTTP receiver on loopback: signatures, Slack and JSON bodies, retries
// with backoff, and the per-hour cap with its digest.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deliver } from '../../../collector/alerts/deliver.js';
import { AlertDispatcher } from '../../../collector/alerts/dispatcher.js';
import type { AlertEvent } from '../../../collector/alerts/payload.js';
import { verify } from '../../../collector/alerts/sign.js';
import { silentLogger } from '../../../shared/log.js';
import { finding, missing, moved, undeclared } from '../../fixtures/findings.js';

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** A receiver that answers each request with the next status of `script` (the last one repeats). */
async function receiver(
  script: Array<number | [number, Record<string, string>]> = [200],
): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const step = script[Math.min(hits.length - 1, script.length - 1)]!;
      const [status, headers] = Array.isArray(step) ? step : [step, {}];
      res.writeHead(status, headers).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secretpath`, hits };
}

const fast = { attempts: 4, baseMs: 20, maxMs: 100, timeoutMs: 2000 };
const opened = (f = moved): AlertEvent => ({ type: 'opened', finding: f, at: '2026-11-24T09:00:00.000Z' });

describe('webhook alerts', () => {
  it('posts the generic JSON body, signed with HMAC-SHA256 over timestamp and body', async () => {
    const rx = await receiver();
    const d = new AlertDispatcher({
      webhooks: [{ url: rx.url, format: 'json', secret: 's3cret' }],
      scope: 'prod',
      log: silentLogger(),
      retry: fast,
    });
    d.notify(opened());
    d.notify({
      type: 'resolved',
      finding: { ...missing, resolvedAt: '2026-11-24T10:00:00.000Z' },
      at: '2026-11-24T10:00:00.000Z',
    });
    await d.idle();
    expect(rx.hits).toHaveLength(2);
    const [a, b] = rx.hits as [Hit, Hit];
    expect(JSON.parse(a.body)).toMatchObject({
      version: 1,
      event: 'finding.opened',
      scope: 'prod',
      finding: { id: 'f_3c9a01', kind: 'moved', observedPort: 5433, source: { file: 'rds.tf', line: 14 } },
    });
    expect(JSON.parse(b.body)).toMatchObject({ event: 'finding.resolved', finding: { id: 'f_77aa02' } });
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['x-portdrift-event']).toBe('finding.opened');
    expect(a.headers['x-portdrift-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const sig = a.headers['x-portdrift-signature'] as string;
    const ts = a.headers['x-portdrift-timestamp'] as string;
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    const nowS = Math.floor(Date.now() / 1000);
    expect(verify('s3cret', a.body, sig, ts, nowS)).toBe(true);
    expect(verify('wrong', a.body, sig, ts, nowS)).toBe(false);
    expect(verify('s3cret', a.body.replace('5433', '5434'), sig, ts, nowS)).toBe(false);
    expect(verify('s3cret', a.body, sig, ts, nowS + 3600)).toBe(false); // a replay an hour later
    await d.stop();
  });

  it('posts a Slack-compatible body with escaped text', async () => {
    const rx = await receiver();
    const d = new AlertDispatcher({
      webhooks: [{ url: rx.url, format: 'slack' }],
      scope: 'prod',
      log: silentLogger(),
      retry: fast,
    });
    d.notify(opened(undeclared));
    await d.idle();
    const body = JSON.parse(rx.hits[0]!.body);
    expect(body.text).toBe(':red_circle: portdrift (prod): undeclared finding opened: aws_instance.api 10.0.2.10:22');
    expect(body.blocks[1].text.text).toContain('10.0.2.10 listens on 22 &lt;ssh&gt; &amp; nothing declares it');
    expect(rx.hits[0]!.headers['x-portdrift-signature']).toBeUndefined();
    await d.stop();
  });

  it('retries 5xx and 429 with backoff, keeping the delivery id, and does not retry other 4xx', async () => {
    const rx = await receiver([503, [429, { 'retry-after': '0' }], 200]);
    const r = await deliver({ url: rx.url, body: '{}', event: 'finding.opened' }, fast);
    expect(r).toMatchObject({ status: 200, attempts: 3 });
    expect(new Set(rx.hits.map((h) => h.headers['x-portdrift-delivery'])).size).toBe(1);

    const refused = await receiver([400]);
    await expect(deliver({ url: refused.url, body: '{}', event: 'x' }, fast)).rejects.toMatchObject({
      code: 'PD_WEBHOOK',
      message: expect.stringMatching(/HTTP 400\); not retried/),
    });
    expect(refused.hits).toHaveLength(1);

    const down = await receiver([500]);
    const err = await deliver({ url: down.url, body: '{}', event: 'x' }, fast).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'PD_WEBHOOK' });
    expect((err as Error).message).toMatch(/failed after 4 attempts \(last: HTTP 500\)/);
    expect((err as Error).message).not.toContain('secretpath');
    expect(down.hits).toHaveLength(4);
  });

  it('retries a receiver that is not listening yet', async () => {
    const rx = await receiver();
    const url = rx.url;
    const port = Number(new URL(url).port);
    await new Promise((r) => servers.pop()!.close(r));
    const pending = deliver(
      { url, body: '{"late":true}', event: 'x' },
      { attempts: 10, baseMs: 50, maxMs: 100, timeoutMs: 1000 },
    );
    await new Promise((r) => setTimeout(r, 120));
    const hits: string[] = [];
    const again = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => (hits.push(b), res.end()));
    });
    await new Promise<void>((r) => again.listen(port, '127.0.0.1', r));
    servers.push(again);
    const r = await pending;
    expect(r.attempts).toBeGreaterThan(1);
    expect(hits).toEqual(['{"late":true}']);
  });

  it('caps alerts per hour and sends what was held back as one digest', async () => {
    const rx = await receiver();
    const d = new AlertDispatcher({
      webhooks: [{ url: rx.url, format: 'json', maxPerHour: 2 }],
      scope: 'prod',
      log: silentLogger(),
      retry: fast,
      windowMs: 400,
    });
    for (let i = 0; i < 5; i++) d.notify(opened(finding({ kind: 'missing', id: `f_${i}`, port: 8000 + i })));
    d.notify({ type: 'resolved', finding: moved, at: '2026-11-24T09:01:00.000Z' });
    await d.idle();
    expect(rx.hits.map((h) => JSON.parse(h.body).event)).toEqual(['finding.opened', 'finding.opened']);
    await new Promise((r) => setTimeout(r, 600));
    await d.idle();
    expect(rx.hits).toHaveLength(3);
    const digest = JSON.parse(rx.hits[2]!.body);
    expect(rx.hits[2]!.headers['x-portdrift-event']).toBe('digest');
    expect(digest).toMatchObject({ version: 1, event: 'digest', held: 4, counts: { opened: 3, resolved: 1 } });
    expect(digest.events.map((e: { finding: { id: string } }) => e.finding.id)).toEqual([
      'f_2',
      'f_3',
      'f_4',
      'f_3c9a01',
    ]);
    // A new window: alerts flow again.
    d.notify(opened());
    await d.idle();
    expect(rx.hits).toHaveLength(4);
    await d.stop();
  });

  it('filters by severity and event type, and flushes held alerts on stop', async () => {
    const rx = await receiver();
    const d = new AlertDispatcher({
      webhooks: [{ url: rx.url, format: 'slack', minSeverity: 'high', events: ['opened'], maxPerHour: 1 }],
      scope: 'prod',
      log: silentLogger(),
      retry: fast,
    });
    d.notify(opened(finding({ kind: 'unobserved', severity: 'low' })));
    d.notify({ type: 'resolved', finding: moved, at: '2026-11-24T09:00:00.000Z' });
    d.notify(opened(moved));
    d.notify(opened(missing));
    await d.idle();
    expect(rx.hits).toHaveLength(1);
    await d.stop();
    expect(rx.hits).toHaveLength(2);
    expect(JSON.parse(rx.hits[1]!.body).text).toMatch(
      /^portdrift \(prod\): 1 alert held back by the hourly cap \(1 opened, 0 resolved\)/,
    );
  });
});
