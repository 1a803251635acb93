// The fingerprint travels: an agent's open result with a fingerprint becomes an obs record with
// its service name (and nothing else of the fingerprint), which the collector's parser accepts.
import { describe, expect, it } from 'vitest';
import { buildBatch } from '../../../../agent/daemon/batch.js';
import { parseBatch } from '../../../../collector/ingest/parse.js';
import type { ProbeResult } from '../../../../shared/types.js';

const AT = '2026-01-01T00:00:01.000Z';
const r = (port: number, over: Partial<ProbeResult> = {}): ProbeResult => ({
  host: 'db.internal',
  ip: '10.0.0.5',
  port,
  state: 'open',
  rttMs: 0.3,
  attempts: 1,
  ...over,
});

describe('obs records carry the fingerprinted service', () => {
  const records = buildBatch({
    batchId: 'b1',
    agent: 'a1',
    agentVersion: '0.1.0',
    planRevision: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: AT,
    sweeps: [
      {
        host: 'db.internal',
        ip: '10.0.0.5',
        ports: [5432, 6379, 8080],
        results: [
          r(5432, { fingerprint: { service: 'redis', detail: 'PONG' } }),
          r(6379),
          r(8080, { fingerprint: { service: 'http', product: 'nginx', version: '1.27.0', detail: 'HTTP/1.1 200 OK' } }),
        ],
      },
    ],
    listeners: [],
  });

  it('only the service name goes on the wire; a port without a fingerprint has no service', () => {
    const base = { t: 'obs', host: 'db.internal', ip: '10.0.0.5', state: 'open', rttMs: 0.3, at: AT };
    expect(records.filter((x) => x.t === 'obs')).toEqual([
      { ...base, port: 5432, service: 'redis' },
      { ...base, port: 6379 },
      { ...base, port: 8080, service: 'http' },
    ]);
  });

  it('the collector parses the batch with the services', () => {
    const parsed = parseBatch(`${records.map((x) => JSON.stringify(x)).join('\n')}\n`);
    const services = parsed.observations.map((o) => [o.port, o.service ?? null]);
    expect(services).toEqual([
      [5432, 'redis'],
      [6379, null],
      [8080, 'http'],
    ]);
  });
});
