// The wire record schemas, and the hand-tuned fast path for observation records: the fast path
// must accept exactly what the schema accepts (it exists for speed only; every message comes
// from the schema).
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../../../collector/ingest/parse.js';
import { fastObs, obsSchema, resetSeen } from '../../../../collector/ingest/records.js';

const AT = '2026-12-01T10:00:00.000Z';
const obs = { t: 'obs', host: 'db', ip: '10.0.0.5', port: 5432, state: 'open', rttMs: 0.4, at: AT };
const header = { t: 'batch', v: 1, batchId: 'b-1', agent: 'a1', agentVersion: '0.1.0', planRevision: null };
const times = { startedAt: AT, finishedAt: AT, spoolDropped: 0, spoolDepth: 0 };

describe('observation records: fast path and schema agree', () => {
  const cases: Array<Record<string, unknown>> = [
    obs,
    { ...obs, rttMs: null },
    { ...obs, service: 'postgresql' },
    { ...obs, state: 'unreachable', ip: '::1' },
    { ...obs, extra: 1 },
    { ...obs, host: '' },
    { ...obs, host: 'h'.repeat(1025) },
    { ...obs, ip: 'db.internal' },
    { ...obs, port: 0 },
    { ...obs, port: 70000 },
    { ...obs, port: '22' },
    { ...obs, port: 22.5 },
    { ...obs, state: 'maybe' },
    { ...obs, rttMs: -1 },
    { ...obs, rttMs: '1' },
    { ...obs, rttMs: undefined },
    { ...obs, at: 'yesterday' },
    { ...obs, at: '2026-13-45T10:00:00Z' },
    { ...obs, service: '' },
    { ...obs, service: 5 },
    Object.fromEntries(Object.entries(obs).filter(([k]) => k !== 'host')),
  ];
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    resetSeen();
    const fast = fastObs(JSON.parse(JSON.stringify(c)));
    resetSeen();
    const schema = obsSchema.safeParse(JSON.parse(JSON.stringify(c)));
    expect(fast !== null).toBe(schema.success);
    if (fast !== null) expect(fast).toEqual(schema.data);
  });
});

describe('a bad line names every problem of it', () => {
  it('field by field, the first field in details', () => {
    const bad = { ...obs, port: 0, state: 'maybe', colour: 'red' };
    const body = [{ ...header, ...times }, bad].map((l) => JSON.stringify(l)).join('\n');
    try {
      parseBatch(body);
      expect.unreachable();
    } catch (err) {
      const e = err as { code: string; message: string; details: Record<string, unknown> };
      expect(e.code).toBe('PD_WIRE_INVALID');
      expect(e.message).toBe(
        'line 2: colour: unknown field; port: must be a port 1-65535, got 0; ' +
          'state: must be open, closed, filtered or unreachable, got "maybe"',
      );
      expect(e.details).toMatchObject({ line: 2, field: 'colour' });
    }
  });

  it('a header with several problems', () => {
    expect(() => parseBatch(JSON.stringify({ ...header, v: 2, batchId: 'a b', ...times, spoolDepth: -1 }))).toThrow(
      'line 1: v: must be 1, got 2; batchId: invalid value "a b"; spoolDepth: must be a non-negative integer',
    );
  });
});
