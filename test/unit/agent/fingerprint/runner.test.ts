// The runner on loopback: real node servers for HTTP, HTTP/2 (node:http2) and TLS (node:tls
// with an openssl certificate), protocol servers (servers.ts) for the rest. Unhinted ports are
// named by trying hellos in order; an expected service costs one connection; the pool keeps its
// per-address cap, aborts promptly and skips addresses with too many open ports.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintAll, fingerprintPort } from '../../../../agent/fingerprint/runner.js';
import {
  amqpServer,
  kafkaServer,
  mongoServer,
  mysqlServer,
  silentServer,
  smtpServer,
  type Running,
} from './servers.js';

type Listening = HttpServer | Http2Server | TlsServer;
async function listen<T extends Listening>(server: T): Promise<{ server: T; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

const dir = mkdtempSync(join(tmpdir(), 'pd-fp-unit-'));
const running: Running[] = [];
const others: Listening[] = [];
let http: number;
let h2: number;
let tls: number;
const target = (port: number, extra: object = {}) => ({ host: '127.0.0.1', ip: '127.0.0.1', port, ...extra });

beforeAll(async () => {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=billing.internal',
      '-addext',
      'subjectAltName=DNS:billing.internal',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  const h = await listen(createHttpServer((_, res) => res.setHeader('Server', 'lab-http/2.4').end('ok')));
  const h2s = await listen(createH2Server());
  const t = await listen(
    createTlsServer({ key: readFileSync(key), cert: readFileSync(cert), ALPNProtocols: ['h2'] }, (s) =>
      s.on('error', () => undefined).end(),
    ),
  );
  others.push(h.server, h2s.server, t.server);
  [http, h2, tls] = [h.port, h2s.port, t.port];
});
afterAll(async () => {
  for (const r of running) await r.close();
  for (const s of others) {
    (s as HttpServer).closeAllConnections?.();
    await new Promise((r) => s.close(() => r(undefined)));
  }
  rmSync(dir, { recursive: true, force: true });
});

async function start(f: () => Promise<Running>): Promise<Running> {
  const r = await f();
  running.push(r);
  return r;
}

describe('fingerprintPort', () => {
  it('names each service on a port no convention names, within the deadline', async () => {
    const servers = {
      mysql: await start(mysqlServer),
      smtp: await start(() => smtpServer(20)),
      mongodb: await start(mongoServer),
      kafka: await start(kafkaServer),
      amqp: await start(amqpServer),
    };
    const want: Record<string, object> = {
      mysql: { service: 'mysql', product: 'MySQL', version: '8.0.36' },
      smtp: { service: 'smtp', product: 'Postfix' },
      mongodb: { service: 'mongodb', detail: 'maxWireVersion 21' },
      kafka: { service: 'kafka' },
      // RabbitMQ answers the HTTP hello (tried first) with its own protocol header: named there.
      amqp: { service: 'amqp', detail: 'protocol header answered: the broker speaks 0-0-9-1' },
    };
    for (const [name, s] of Object.entries(servers)) {
      const r = await fingerprintPort(target(s.port));
      expect(r.fingerprint, name).toMatchObject(want[name]!);
      expect(r.ms, name).toBeLessThanOrEqual(1300);
    }
    expect((await fingerprintPort(target(http))).fingerprint).toMatchObject({
      service: 'http',
      product: 'lab-http',
      version: '2.4',
    });
    expect((await fingerprintPort(target(h2))).fingerprint).toMatchObject({ service: 'http2' });
    expect((await fingerprintPort(target(tls))).fingerprint).toMatchObject({
      service: 'tls',
      tls: { subject: 'CN=billing.internal', alpn: 'h2', selfSigned: true },
    });
  });

  it('the expected service costs one connection (also AMQP and Kafka, tried late otherwise)', async () => {
    const amqp = await start(amqpServer);
    const kafka = await start(kafkaServer);
    const mongo = await start(mongoServer);
    for (const [port, expect_] of [
      [http, 'http'],
      [h2, 'http2'],
      [tls, 'tls'],
      [amqp.port, 'amqp'],
      [kafka.port, 'kafka'],
      [mongo.port, 'mongodb'],
    ] as const) {
      const r = await fingerprintPort(target(port, { expect: expect_ }));
      expect(r.fingerprint.service, expect_).toBe(expect_);
      expect(r.attempts, expect_).toBe(1);
    }
  });

  it('a certificate for another name is said when the host is a name; an IP literal has nothing to check', async () => {
    const named = await fingerprintPort({ host: 'orders.internal', ip: '127.0.0.1', port: tls, expect: 'tls' });
    expect(named.fingerprint.tls?.hostMatch).toBe(false);
    expect(named.fingerprint.detail).toMatch(/certificate is not for orders\.internal/);
    const right = await fingerprintPort({ host: 'billing.internal', ip: '127.0.0.1', port: tls, expect: 'tls' });
    expect(right.fingerprint.tls?.hostMatch).toBe(true);
    expect((await fingerprintPort(target(tls, { expect: 'tls' }))).fingerprint.tls?.hostMatch).toBeUndefined();
  });

  it('a silent port is unknown after the deadline, having tried what fits', async () => {
    const s = await start(silentServer);
    const r = await fingerprintPort(target(s.port), { deadlineMs: 600 });
    expect(r.fingerprint.service).toBe('unknown');
    expect(r.fingerprint.detail).toMatch(/nothing recognised within 600 ms/);
    expect(r.ms).toBeGreaterThanOrEqual(590);
    expect(r.ms).toBeLessThan(900);
    expect(r.attempts).toBe(s.accepted());
  });

  it(
    'a port that closes every connection at once, without ' + 'a byte, costs two connections, not one per hello',
    async () => {
      const { createServer } = await import('node:net');
      let accepted = 0;
      const server = createServer((sock) => {
        accepted++;
        sock.on('error', () => undefined);
        sock.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      try {
        for (const expect_ of [undefined, 'http', 'postgres'] as const) {
          accepted = 0;
          const r = await fingerprintPort(target(port, expect_ ? { expect: expect_ } : {}));
          expect(r.fingerprint).toEqual({
            service: 'unknown',
            detail: 'closes every connection at once, without a byte (2 attempts)',
          });
          expect(r.attempts).toBe(2);
          expect(accepted).toBe(2);
        }
      } finally {
        await new Promise((r) => server.close(r));
      }
    },
  );
});

describe('fingerprintAll', () => {
  it('keeps at most perAddress ports of an address in flight and returns results in target order', async () => {
    const s = await start(silentServer);
    const targets = Array.from({ length: 6 }, () => target(s.port));
    // Silent ports take their whole deadline: 6 ports two at a time are three deadlines long.
    let started = performance.now();
    const reports = await fingerprintAll(targets, { perAddress: 2, concurrency: 16, deadlineMs: 200 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(590);
    expect(reports).toHaveLength(6);
    expect(reports.every((r) => r?.fingerprint.service === 'unknown')).toBe(true);
    started = performance.now();
    await fingerprintAll(targets, { perAddress: 6, concurrency: 3, deadlineMs: 200 });
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(390); // the overall cap: 3 at a time
    expect(ms).toBeLessThan(590);
    const mixed = await fingerprintAll([target(http), target(tls, { expect: 'tls' }), target(h2, { expect: 'http2' })]);
    expect(mixed.map((r) => r?.fingerprint.service)).toEqual(['http', 'tls', 'http2']);
  });

  it('fingerprints at most maxPortsPerAddress ports of one address and says so for the rest', async () => {
    const reports = await fingerprintAll(
      [target(http, { expect: 'http' }), target(http, { expect: 'http' }), target(http, { expect: 'http' })],
      { maxPortsPerAddress: 2 },
    );
    expect(reports.slice(0, 2).map((r) => r?.fingerprint.service)).toEqual(['http', 'http']);
    expect(reports[2]).toEqual({
      fingerprint: { service: 'unknown', detail: 'not fingerprinted: more than 2 open ports on 127.0.0.1' },
      attempts: 0,
      bytes: 0,
      ms: 0,
    });
  });

  it('an abort ends the connections in flight and starts no more', async () => {
    const s = await start(silentServer);
    const abort = new AbortController();
    const started = performance.now();
    setTimeout(() => abort.abort(), 100);
    const reports = await fingerprintAll(
      Array.from({ length: 8 }, () => target(s.port)),
      { perAddress: 2, signal: abort.signal },
    );
    expect(performance.now() - started).toBeLessThan(400);
    expect(reports.slice(0, 2).map((r) => r?.fingerprint.detail)).toEqual([
      'stopped (1 attempt)',
      'stopped (1 attempt)',
    ]);
    expect(reports.slice(2)).toEqual(new Array(6).fill(undefined));
  });
});
