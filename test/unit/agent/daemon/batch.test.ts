import { describe, expect, it } from 'vitest';
import { buildBatch, buildBatches, withSpoolStatus } from '../../../../agent/daemon/batch.js';
import { planToTargets, tokenScopeRefusal, validatePlan } from '../../../../agent/daemon/plan.js';
import { encodeRecords } from '../../../../shared/wire.js';
import type { BatchHeader, ProbeResult } from '../../../../shared/types.js';

const r = (port: number, state: ProbeResult['state'], rttMs: number | null = 0.3): ProbeResult => ({
  host: 'db.internal',
  ip: '10.0.0.5',
  port,
  state,
  rttMs,
  attempts: 1,
});

describe('buildBatch', () => {
  const records = buildBatch({
    batchId: 'b1',
    agent: 'a1',
    agentVersion: '0.1.0',
    planRevision: 'rev',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    sweeps: [
      {
        host: 'db.internal',
        ip: '10.0.0.5',
        ports: [5430, 5431, 5432, 5433, 22],
        results: [r(22, 'filtered', null), r(5430, 'closed'), r(5431, 'closed'), r(5432, 'closed'), r(5433, 'open')],
      },
      { host: 'gone.internal', ip: null, error: 'ENOTFOUND', ports: [], results: [] },
    ],
    listeners: [{ t: 'listener', ip: '127.0.0.1', port: 9000, at: '2026-01-01T00:00:01.000Z' }],
  });

  it('starts with the header: identity, version, plan revision', () => {
    expect(records[0]).toEqual({
      t: 'batch',
      v: 1,
      batchId: 'b1',
      agent: 'a1',
      agentVersion: '0.1.0',
      planRevision: 'rev',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      spoolDropped: 0,
      spoolDepth: 0,
    });
  });

  it('makes closed explicit in the sweep record and lists every other state as obs', () => {
    expect(records.slice(1)).toEqual([
      {
        t: 'sweep',
        host: 'db.internal',
        ip: '10.0.0.5',
        ports: '22,5430-5433',
        closed: '5430-5432',
        at: '2026-01-01T00:00:01.000Z',
      },
      {
        t: 'obs',
        host: 'db.internal',
        ip: '10.0.0.5',
        port: 22,
        state: 'filtered',
        rttMs: null,
        at: '2026-01-01T00:00:01.000Z',
      },
      {
        t: 'obs',
        host: 'db.internal',
        ip: '10.0.0.5',
        port: 5433,
        state: 'open',
        rttMs: 0.3,
        at: '2026-01-01T00:00:01.000Z',
      },
      {
        t: 'sweep',
        host: 'gone.internal',
        ip: null,
        ports: '',
        closed: '',
        at: '2026-01-01T00:00:01.000Z',
        error: 'ENOTFOUND',
      },
      { t: 'listener', ip: '127.0.0.1', port: 9000, at: '2026-01-01T00:00:01.000Z' },
    ]);
  });

  it('marks a batch whose listeners were read as the whole view, also when it has none', () => {
    const base = {
      batchId: 'b2',
      agent: 'a1',
      agentVersion: '0.1.0',
      planRevision: null,
      startedAt: 'x',
      finishedAt: 'y',
      sweeps: [],
      listeners: [],
    };
    expect(buildBatch({ ...base, listenerView: true })).toEqual([
      expect.objectContaining({ t: 'batch', listenerView: true }),
    ]);
    expect(buildBatch(base)[0]).not.toHaveProperty('listenerView');
  });
});

describe('withSpoolStatus', () => {
  it('rewrites only the header line', () => {
    const body =
      `${JSON.stringify({ t: 'batch', v: 1, batchId: 'b', spoolDropped: 0, spoolDepth: 0 })}` +
      `\n{"t":"obs","port":1}\n`;
    const { body: out, header } = withSpoolStatus(body, 3, 7);
    expect(header).toMatchObject({ batchId: 'b', spoolDropped: 3, spoolDepth: 7 });
    const lines = out.split('\n');
    expect(JSON.parse(lines[0]!) as BatchHeader).toMatchObject({ spoolDropped: 3, spoolDepth: 7 });
    expect(lines.slice(1).join('\n')).toBe('{"t":"obs","port":1}\n');
  });

  it("sends a backlog under the agent's current name (the collector accepts batches only under the token's)", () => {
    const header = { t: 'batch', v: 1, batchId: 'b', agent: 'host-a', spoolDropped: 0, spoolDepth: 0 };
    const body = `${JSON.stringify(header)}\n`;
    expect(withSpoolStatus(body, 0, 0, 'subnet-a').header.agent).toBe('subnet-a');
    expect(withSpoolStatus(body, 0, 0).header.agent).toBe('host-a');
  });

  it('refuses a body that does not start with a header', () => {
    expect(() => withSpoolStatus('{"t":"obs"}\n', 0, 0)).toThrow(/batch header/);
    expect(() => withSpoolStatus('garbage', 0, 0)).toThrow();
  });
});

describe('plan', () => {
  const plan = {
    version: 1,
    agent: 'a',
    revision: 'r',
    intervalMs: 1000,
    targets: [
      { host: 'h', declared: [5432, 5432, 80], discovery: '78-82,5430-5434', resources: [] },
      { host: 'bad', declared: [22], discovery: '99999' },
    ],
  };

  it('validates and converts targets: declared first and distinct, discovery without them', () => {
    const { specs, problems } = planToTargets(validatePlan(plan).targets);
    expect(specs[0]).toEqual({ host: 'h', declared: [80, 5432], discovery: [78, 79, 81, 82, 5430, 5431, 5433, 5434] });
    // A bad discovery spec keeps the host with its declared ports.
    expect(specs[1]).toEqual({ host: 'bad', declared: [22], discovery: [] });
    expect(problems).toEqual([expect.stringContaining('bad: discovery: invalid port spec "99999"')]);
  });

  it("carries each declared port's expected service; a name this agent cannot name is a problem, not a refusal", () => {
    const targets = [
      {
        host: 'db',
        declared: [5432, 6379],
        discovery: '',
        resources: [],
        expect: { 5432: 'postgresql', 6379: 'valkey' },
      },
      { host: 'new', declared: [9000], discovery: '', resources: [], expect: { 9000: 'quic-thing' } },
    ];
    const { specs, problems } = planToTargets(validatePlan({ ...plan, targets }).targets);
    expect(specs[0]).toEqual({
      host: 'db',
      declared: [5432, 6379],
      discovery: [],
      expect: { 5432: 'postgres', 6379: 'redis' },
    });
    expect(specs[1]).toEqual({ host: 'new', declared: [9000], discovery: [] });
    expect(problems).toEqual(['new: port 9000 expects "quic-thing", a service this agent cannot name']);
  });

  it.each([
    [{ ...plan, version: 2 }, 'version: 2 is not 1'],
    [{ ...plan, intervalMs: 0 }, 'intervalMs'],
    [{ ...plan, targets: [{ host: '', declared: [], discovery: '' }] }, 'targets[0].host'],
    [{ ...plan, targets: [{ host: 'x', declared: [1], discovery: 5 }] }, 'targets[0].discovery'],
    [[], 'not a JSON object'],
    [{ ...plan, tokenScope: '10.0.0.0/8' }, 'tokenScope: not a list of CIDRs'],
    [{ ...plan, tokenScope: ['10.0.0.1/8'] }, 'tokenScope[0]: "10.0.0.1/8" is not a CIDR: host bits are set'],
    [{ ...plan, tokenScope: [7] }, 'tokenScope[0]: not a string'],
    [
      { ...plan, targets: [{ host: 'x', declared: [1], discovery: '', expect: [] }] },
      'targets[0].expect: not an object',
    ],
    [
      { ...plan, targets: [{ host: 'x', declared: [1], discovery: '', expect: { 0: 'redis' } }] },
      'targets[0].expect: "0" is not a port',
    ],
    [
      { ...plan, targets: [{ host: 'x', declared: [1], discovery: '', expect: { 1: 5 } }] },
      'targets[0].expect.1: not a service name',
    ],
  ])('refuses an invalid plan (%#)', (value, why) => {
    expect(() => validatePlan(value)).toThrow(why);
  });

  it('names every bad field of a plan at once (the first five in the message)', () => {
    const targets = Array.from({ length: 7 }, () => ({ host: '', declared: [], discovery: '' }));
    const err = (() => {
      try {
        validatePlan({ ...plan, agent: 5, targets });
      } catch (e) {
        return e as { message: string; details: { problems: string[] } };
      }
      throw new Error('accepted');
    })();
    expect(err.details.problems).toHaveLength(8);
    expect(err.message).toBe(
      'the collector sent an invalid plan: agent: not a string; targets[0].host: not a string; ' +
        'targets[1].host: not a string; targets[2].host: not a string; targets[3].host: not a string; and 3 more',
    );
  });
});

describe("tokenScopeRefusal (the plan's token scope)", () => {
  it("refuses addresses outside the token's CIDRs with a reason naming them, admits those inside", () => {
    const refuse = tokenScopeRefusal(['10.231.0.0/28', 'fd00:1::/64']);
    expect(refuse('10.231.0.1')).toBeNull();
    expect(refuse('::ffff:10.231.0.2')).toBeNull();
    expect(refuse('fd00:1::5')).toBeNull();
    expect(refuse('10.231.0.16')).toBe("outside the agent token's scope (10.231.0.0/28, fd00:1::/64)");
    expect(refuse('127.0.0.1')).toMatch(/outside the agent token's scope/);
    expect(refuse('::1')).toMatch(/outside the agent token's scope/);
  });

  it('refuses nothing without a token scope (null, or a collector that does not send one)', () => {
    expect(tokenScopeRefusal(null)('192.0.2.1')).toBeNull();
    expect(tokenScopeRefusal(undefined)('192.0.2.1')).toBeNull();
  });

  it('takes a plan with a token scope, or with null', () => {
    const plan = { version: 1, agent: 'a', revision: 'r', intervalMs: 1000, targets: [] };
    expect(validatePlan({ ...plan, tokenScope: ['10.0.0.0/8'] }).tokenScope).toEqual(['10.0.0.0/8']);
    expect(validatePlan({ ...plan, tokenScope: null }).tokenScope).toBeNull();
  });
});

describe('buildBatches (a sweep split below the batch limit)', () => {
  const at = '2026-01-01T00:00:01.000Z';
  const filtered = (host: string, ip: string, ports: number[]) => ({
    host,
    ip,
    ports,
    results: ports.map((port): ProbeResult => ({ host, ip, port, state: 'filtered', rttMs: null, attempts: 1 })),
  });
  const base = { agent: 'a1', agentVersion: '0.1.0', planRevision: 'rev', startedAt: at, finishedAt: at };
  const ids = () => {
    let n = 0;
    return () => `id-${++n}`;
  };
  const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const decode = (b: { records: unknown[] }) => b.records as Array<Record<string, unknown>>;

  it('keeps a sweep under the limit as one batch, identical to buildBatch', () => {
    const input = { ...base, sweeps: [filtered('h', '10.0.0.1', [22, 80])], listeners: [] };
    const out = buildBatches(input, 1024 * 1024, ids());
    expect(out).toHaveLength(1);
    expect(out[0]!.records).toEqual(buildBatch({ ...input, batchId: 'id-1' }));
  });

  it('splits a big sweep: every batch under the limit with its own id, every record exactly once, in order', () => {
    const sweeps = range(1, 200).map((i) => filtered(`host-${i}`, `10.0.${i >> 8}.${i & 255}`, range(8000, 8049)));
    const listeners = [{ t: 'listener' as const, ip: '127.0.0.1', port: 9000, at }];
    const all = buildBatch({ ...base, batchId: 'x', sweeps, listeners, listenerView: true });
    const limit = 64 * 1024;
    const out = buildBatches({ ...base, sweeps, listeners, listenerView: true }, limit, ids());
    expect(out.length).toBeGreaterThan(10);
    expect(out.map((b) => b.batchId)).toEqual(out.map((_, i) => `id-${i + 1}`));
    for (const b of out) {
      const body = encodeRecords(b.records);
      expect(Buffer.byteLength(body)).toBe(b.bytes);
      // The send-time rewrite (spool counters, a 128-character name) still fits.
      const sent = withSpoolStatus(body, 999_999, 999_999, 'n'.repeat(128)).body;
      expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(limit);
      expect(b.records[0]).toMatchObject({ t: 'batch', batchId: b.batchId, agent: 'a1', planRevision: 'rev' });
    }
    // Every record once, in the order of the single batch; an address never split (each fits).
    expect(out.flatMap((b) => b.records.slice(1))).toEqual(all.slice(1));
    for (const b of out) {
      const recs = decode(b)
        .slice(1)
        .filter((r) => r.t !== 'listener');
      const hosts = new Set(recs.map((r) => r.host));
      expect(recs.filter((r) => r.t === 'sweep')).toHaveLength(hosts.size);
    }
    // The listener view travels whole, in the last batch, the only one marked as the view.
    const views = out.map((b) => (b.records[0] as { listenerView?: boolean }).listenerView ?? false);
    expect(views).toEqual(out.map((_, i) => i === out.length - 1));
    expect(out.at(-1)!.records.at(-1)).toEqual(listeners[0]);
  });

  it('spreads one address too large for a batch over several: its obs first, its sweep record last', () => {
    const big = filtered('big', '10.0.0.9', range(1, 3000));
    const out = buildBatches({ ...base, sweeps: [big], listeners: [] }, 32 * 1024, ids());
    expect(out.length).toBeGreaterThan(5);
    const recs = out.flatMap((b) => decode(b).slice(1));
    expect(recs.filter((r) => r.t === 'obs').map((r) => r.port)).toEqual(range(1, 3000));
    expect(recs.at(-1)).toMatchObject({ t: 'sweep', host: 'big', ports: '1-3000' });
    for (const b of out) expect(b.bytes).toBeLessThanOrEqual(32 * 1024);
  });

  it('sends an empty sweep as one header-only batch (the heartbeat)', () => {
    const out = buildBatches({ ...base, sweeps: [], listeners: [] }, 16 * 1024, ids());
    expect(out.map((b) => b.records)).toEqual([[expect.objectContaining({ t: 'batch', batchId: 'id-1' })]]);
  });
});
