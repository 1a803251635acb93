// The collector's reports and alerts wired to its store and lifecycle: a webhook receives
// finding.opened / finding.resolved as findings transition, and `portdrift report --send` makes
// the collector send its report to a real SMTP sink.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run.js';
import { startSink, type Sink } from '../report/smtp-sink.js';
import { postBatch, startTestCollector, type TestCollector } from './harness.js';
import { rx } from '../../rx.js';

const LOOP = '127.0.0.1';

describe('reports and alerts wired into the collector', () => {
  let c: TestCollector;
  let sink: Sink;
  let hook: Server;
  const received: Array<{ event: string; finding?: { kind: string; port: number } }> = [];

  beforeAll(async () => {
    sink = await startSink();
    hook = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        received.push(JSON.parse(text));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, LOOP, () => r()));
    const hookUrl = `http://${LOOP}:${(hook.address() as AddressInfo).port}/hook`;
    c = await startTestCollector({
      cycles: 1,
      smtp: `smtp://${LOOP}:${sink.port}?starttls=off`,
      reportTo: ['ops@example.com'],
      reportEvery: '24h',
      reportScope: 'test',
      webhooks: [{ url: hookUrl, format: 'json' }],
    });
  });
  afterAll(async () => {
    await c.stop();
    await sink.close();
    await new Promise((r) => hook.close(r));
  });

  it('sends finding.opened and finding.resolved to the webhook as findings transition', async () => {
    await postBatch(c.url, c.tokens.agent, {
      id: 'r1',
      sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' }],
      obs: [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' }],
    });
    await c.running.collector.idle();
    await c.running.collector.evaluateNow(); // one cycle (cycles: 1)
    await c.running.reporting.alerts!.idle();
    expect(received).toContainEqual(
      expect.objectContaining({
        event: 'finding.opened',
        finding: expect.objectContaining({ kind: 'moved', port: 5432 }),
      }),
    );
    await postBatch(c.url, c.tokens.agent, {
      id: 'r2',
      sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5431,5433-5442' }],
      obs: [{ host: LOOP, ip: LOOP, port: 5432, state: 'open' }],
    });
    await c.running.collector.idle();
    await c.running.collector.evaluateNow(); // one cycle (cycles: 1)
    await c.running.reporting.alerts!.idle();
    expect(received).toContainEqual(
      expect.objectContaining({
        event: 'finding.resolved',
        finding: expect.objectContaining({ kind: 'moved', port: 5432 }),
      }),
    );
  });

  it(
    'portdrift report --send makes the collector send ' + 'its report (admin), and --out - previews it (reader)',
    async () => {
      const before = sink.messages.length;
      const denied = await run(['report', '--send', '--collector', c.url, '--token', c.tokens.reader], c.dir);
      expect(denied.code).toBe(1);
      const r = await run(['report', '--send', '--collector', c.url, '--token', c.tokens.admin], c.dir);
      expect(r.code, r.err).toBe(0);
      await sink.received(before + 1);
      expect(sink.messages[before]!.subject).toMatch(/^portdrift: .*\d+ open — test$/);
      const preview = await run(['report', '--out', '-', '--collector', c.url, '--token', c.tokens.reader], c.dir);
      expect(preview.code, preview.err).toBe(0);
      expect(preview.out).toMatch(/<html/i);
    },
  );
});

describe('a report the SMTP server does not take', () => {
  it(
    'report --send exits 1 naming why (the report stays in the ' +
      'outbox), and --out into a missing directory is a usage error',
    async () => {
      // A loopback port that was free a moment ago: nothing listens there.
      const s = createServer();
      await new Promise<void>((r) => s.listen(0, LOOP, () => r()));
      const closed = (s.address() as AddressInfo).port;
      await new Promise((r) => s.close(r));
      const c = await startTestCollector({
        smtp: `smtp://${LOOP}:${closed}?starttls=off`,
        reportTo: ['ops@example.com'],
        reportEvery: '24h',
        reportScope: 'test',
      });
      try {
        const r = await run(['report', '--send', '--collector', c.url, '--token', c.tokens.admin], c.dir);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(
          rx(
            /^portdrift: not sent: .*ECONNREFUSED.*; "portdrift: .*" /,
            /stays in the collector's outbox \(\S+\) and is retried \[PD_SMTP\]\n$/,
          ),
        );
        expect(JSON.parse(r.out)).toMatchObject({
          sent: false,
          error: expect.stringContaining('ECONNREFUSED'),
          delivery: { sent: 0, failed: 1, pending: 1 },
        });
        const out = await run(
          ['report', '--out', 'no/such/dir/r.html', '--collector', c.url, '--token', c.tokens.reader],
          c.dir,
        );
        expect(out.code).toBe(1);
        expect(out.err).toBe('portdrift: --out no/such/dir/r.html: cannot write it: ENOENT [PD_USAGE]\n');
      } finally {
        await c.stop();
      }
    },
  );
});
