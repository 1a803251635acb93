import { describe, expect, it } from 'vitest';
import { buildBatch, withSpoolStatus } from '../../../../agent/daemon/batch.js';
import { planToTargets, validatePlan } from '../../../../agent/daemon/plan.js';
import type { BatchHeader, ProbeResult } from '../../../../shared/types.js';

const r = (port: number, state: ProbeResult['state'], rttMs: number | null = 0.3): ProbeResult => ({ host: 'db.internal', ip: '10.0.0.5', port, state, rttMs, attempts: 1 });

describe('buildBatch', () => {
  const records = buildBatch({
    batchId: 'b1',
    agent: 'a1',
    agentVersion: '0.1.0',
    planRevision: 'rev',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    sweeps: [
      { host: 'db.internal', ip: '10.0.0.5', ports: [5430, 5431, 5432, 5433, 22], results: [r(22, 'filtered', null), r(5430, 'closed'), r(5431, 'closed'), r(5432, 'closed'), r(5433, 'open')] },
      { host: 'gone.internal', ip: null, error: 'ENOTFOUND', ports: [], results: [] },
    ],
    listeners: [{ t: 'listener', ip: '127.0.0.1', port: 9000, at: '2026-01-01T00:00:01.000Z' }],
  });

  it('starts with the header: identity, version, plan revision', () => {
    expect(records[0]).toEqual({ t: 'batch', v: 1, batchId: 'b1', agent: 'a1', agentVersion: '0.1.0', planRevision: 'rev', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', spoolDropped: 0, spoolDepth: 0 });
  });

  it('makes closed explicit in the sweep record and lists every other state as obs', () => {
    expect(records.slice(1)).toEqual([
      { t: 'sweep', host: 'db.internal', ip: '10.0.0.5', ports: '22,5430-5433', closed: '5430-5432', at: '2026-01-01T00:00:01.000Z' },
      { t: 'obs', host: 'db.internal', ip: '10.0.0.5', port: 22, state: 'filtered', rttMs: null, at: '2026-01-01T00:00:01.000Z' },
      { t: 'obs', host: 'db.internal', ip: '10.0.0.5', port: 5433, state: 'open', rttMs: 0.3, at: '2026-01-01T00:00:01.000Z' },
      { t: 'sweep', host: 'gone.internal', ip: null, ports: '', closed: '', at: '2026-01-01T00:00:01.000Z', error: 'ENOTFOUND' },
      { t: 'listener', ip: '127.0.0.1', port: 9000, at: '2026-01-01T00:00:01.000Z' },
    ]);
  });

  it('marks a batch whose listeners were read as the whole view, also when it has none', () => {
    const base = { batchId: 'b2', agent: 'a1', agentVersion: '0.1.0', planRevision: null, startedAt: 'x', finishedAt: 'y', sweeps: [], listeners: [] };
    expect(buildBatch({ ...base, listenerView: true })).toEqual([expect.objectContaining({ t: 'batch', listenerView: true })]);
    expect(buildBatch(base)[0]).not.toHaveProperty('listenerView');
  });
});

describe('withSpoolStatus', () => {
  it('rewrites only the header line', () => {
    const body = `${JSON.stringify({ t: 'batch', v: 1, batchId: 'b', spoolDropped: 0, spoolDepth: 0 })}\n{"t":"obs","port":1}\n`;
    const { body: out, header } = withSpoolStatus(body, 3, 7);
    expect(header).toMatchObject({ batchId: 'b', spoolDropped: 3, spoolDepth: 7 });
    const lines = out.split('\n');
    expect(JSON.parse(lines[0]!) as BatchHeader).toMatchObject({ spoolDropped: 3, spoolDepth: 7 });
    expect(lines.slice(1).join('\n')).toBe('{"t":"obs","port":1}\n');
  });

  it("sends a backlog under the agent's current name (the collector accepts batches only under the token's)", () => {
    const body = `${JSON.stringify({ t: 'batch', v: 1, batchId: 'b', agent: 'host-a', spoolDropped: 0, spoolDepth: 0 })}\n`;
    expect(withSpoolStatus(body, 0, 0, 'subnet-a').header.agent).toBe('subnet-a');
    expect(withSpoolStatus(body, 0, 0).header.agent).toBe('host-a');
  });

  it('refuses a body that does not start with a header', () => {
    expect(() => withSpoolStatus('{"t":"obs"}\n', 0, 0)).toThrow(/batch header/);
    expect(() => withSpoolStatus('garbage', 0, 0)).toThrow();
  });
});

describe('plan', () => {
  const plan = { version: 1, agent: 'a', revision: 'r', intervalMs: 1000, targets: [{ host: 'h', declared: [5432, 5432, 80], discovery: '78-82,5430-5434', resources: [] }, { host: 'bad', declared: [22], discovery: '99999' }] };

  it('validates and converts targets: declared first and distinct, discovery without them', () => {
    const { specs, problems } = planToTargets(validatePlan(plan).targets);
    expect(specs[0]).toEqual({ host: 'h', declared: [80, 5432], discovery: [78, 79, 81, 82, 5430, 5431, 5433, 5434] });
    // A bad discovery spec keeps the host with its declared ports.
    expect(specs[1]).toEqual({ host: 'bad', declared: [22], discovery: [] });
    expect(problems).toEqual([expect.stringContaining('bad: invalid port spec "99999"')]);
  });

  it.each([
    [{ ...plan, version: 2 }, 'version 2 is not 1'],
    [{ ...plan, intervalMs: 0 }, 'intervalMs'],
    [{ ...plan, targets: [{ host: '', declared: [], discovery: '' }] }, 'targets[0].host'],
    [{ ...plan, targets: [{ host: 'x', declared: [1], discovery: 5 }] }, 'targets[0].discovery'],
    [[], 'not a JSON object'],
  ])('refuses an invalid plan (%#)', (value, why) => {
    expect(() => validatePlan(value)).toThrow(why);
  });
});
