// Which open ports a scan fingerprints: by default only declared ports whose IaC names a service,
// with --fingerprint every open port, with --no-fingerprint none. Real SSH-banner servers on loopback.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeRun } from '../../../agent/probe/index.js';
import { fingerprintMode, fingerprintScan } from '../../../cli/scan-fingerprint.js';
import { observationsOf } from '../../../cli/scan-pipeline.js';

const servers: Server[] = [];
const ports: number[] = [];
beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const s = createServer((c) => c.end('SSH-2.0-OpenSSH_9.2p1 lab\r\n'));
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
    servers.push(s);
    ports.push((s.address() as { port: number }).port);
  }
});
afterAll(async () => {
  for (const s of servers) await new Promise((res) => s.close(res));
});

const run = (): ProbeRun => ({
  sweeps: [
    {
      host: '127.0.0.1',
      ip: '127.0.0.1',
      ports,
      results: ports.map((port) => ({
        host: '127.0.0.1',
        ip: '127.0.0.1',
        port,
        state: 'open' as const,
        rttMs: 0.1,
        attempts: 1,
      })),
    },
  ],
  summary: { probes: 2, open: 2, closed: 0, filtered: 0, unreachable: 0, seconds: 0 },
  skipped: [],
});

describe('scan fingerprinting', () => {
  it('the flag: absent → expected ports only, --fingerprint → all, --no-fingerprint → off', () => {
    expect([undefined, true, false].map(fingerprintMode)).toEqual(['expected', 'all', 'off']);
  });

  it('fingerprints the ports each mode selects, and the observations carry the service', async () => {
    const targets = [{ host: '127.0.0.1', expect: { [ports[0]!]: 'ssh' as const } }];
    const signal = new AbortController().signal;
    const services = async (mode: ReturnType<typeof fingerprintMode>) => {
      const r = run();
      const n = await fingerprintScan(r, targets, mode, signal);
      const { observations } = observationsOf(r, '2026-01-01T00:00:00.000Z');
      return { n, services: observations.map((o) => o.service ?? null) };
    };
    expect(await services('expected')).toEqual({ n: 1, services: ['ssh', null] });
    expect(await services('all')).toEqual({ n: 2, services: ['ssh', 'ssh'] });
    expect(await services('off')).toEqual({ n: 0, services: [null, null] });
  });
});
