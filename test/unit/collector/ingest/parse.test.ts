import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../../../collector/ingest/parse.js';

const AT = '2026-12-01T10:00:00.000Z';
const header = {
  t: 'batch',
  v: 1,
  batchId: 'b-1',
  agent: 'a1',
  agentVersion: '0.1.0',
  planRevision: null,
  startedAt: AT,
  finishedAt: AT,
  spoolDropped: 0,
  spoolDepth: 0,
};
const lines = (...records: unknown[]) =>
  `${records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;
const obs = { t: 'obs', host: 'db', ip: '10.0.0.5', port: 5432, state: 'open', rttMs: 0.4, at: AT };

describe('parseBatch', () => {
  it('parses a header, sweeps, observations and listeners (CRLF and blank lines allowed)', () => {
    const body = lines(
      header,
      { t: 'sweep', host: 'db', ip: '10.0.0.5', ports: '5400-5500', closed: '5400-5431,5433-5500', at: AT },
      obs,
      '',
      { t: 'listener', ip: '0.0.0.0', port: 22, at: AT },
    ).replace(/\n/g, '\r\n');
    const b = parseBatch(body);
    expect(b.header.batchId).toBe('b-1');
    expect([b.sweeps.length, b.observations.length, b.listeners.length]).toEqual([1, 1, 1]);
  });

  it.each([
    ['not JSON', lines(header, '{"t":"obs",'), /line 2: not JSON/],
    ['no header first', lines(obs), /line 1: t: the first line must be the batch header/],
    ['empty body', '', /the body is empty/],
    ['wrong header version', lines({ ...header, v: 2 }), /line 1: v: must be 1/],
    ['port out of range', lines(header, { ...obs, port: 70000 }), /line 2: port: must be a port 1-65535/],
    ['port as string', lines(header, { ...obs, port: '22' }), /line 2: port: must be a port/],
    ['unknown state', lines(header, { ...obs, state: 'maybe' }), /line 2: state: must be open, closed/],
    ['unknown field', lines(header, { ...obs, extra: 1 }), /line 2: extra: unknown field/],
    ['bad ip', lines(header, { ...obs, ip: 'db.internal' }), /line 2: ip: must be an IP address/],
    ['bad time', lines(header, { ...obs, at: 'yesterday' }), /line 2: at: must be an ISO-8601 time/],
    [
      'bad sweep spec',
      lines(header, { t: 'sweep', host: 'db', ip: '10.0.0.5', ports: 'all', closed: '', at: AT }),
      /line 2: ports: invalid port spec "all": must be numeric/,
    ],
    ['array line', lines(header, [1, 2]), /line 2: must be a JSON object/],
    ['second header', lines(header, header), /line 2: t: a second batch header/],
    [
      'negative spool depth',
      lines({ ...header, spoolDepth: -1 }),
      /line 1: spoolDepth: must be a non-negative integer/,
    ],
    [
      'listenerView not a boolean',
      lines({ ...header, listenerView: 'yes' }),
      /line 1: listenerView: must be true or false/,
    ],
    [
      'confirmed not true',
      lines(header, { t: 'sweep', host: 'db', ip: '10.0.0.5', ports: '5432', closed: '', at: AT, confirmed: false }),
      /line 2: confirmed: must be true when present/,
    ],
  ])('refuses %s naming the line and field', (_name, body, message) => {
    expect(() => parseBatch(body)).toThrow(
      expect.objectContaining({ code: 'PD_WIRE_INVALID', message: expect.stringMatching(message) }),
    );
  });

  it("keeps a sweep's confirmed flag (an immediate re-probe saw the change again)", () => {
    const b = parseBatch(
      lines(header, { t: 'sweep', host: 'db', ip: '10.0.0.5', ports: '5432', closed: '5432', at: AT, confirmed: true }),
    );
    expect(b.sweeps[0]).toMatchObject({ host: 'db', confirmed: true });
  });

  it('caps the records of one batch', () => {
    expect(() => parseBatch(lines(header, obs, obs, obs), { maxRecords: 2 })).toThrow(/line 4: t: more than 2 records/);
  });
});
