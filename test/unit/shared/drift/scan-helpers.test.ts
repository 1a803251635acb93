// The pure pieces of `portdrift scan`: probe targets from the model, --fail-on, and the reasons
// given to unobserved findings.
import { describe, expect, it } from 'vitest';
import { explainUnobserved } from '../../../../shared/drift/explain.js';
import { exitCodeFor, fails, parseFailOn } from '../../../../shared/drift/fail-on.js';
import { computeDrift } from '../../../../shared/drift/index.js';
import { scanTargets } from '../../../../shared/drift/targets.js';
import { TOP_PORTS } from '../../../../shared/ports.js';
import { acked, finding, missing, moved, report, undeclared } from '../../../fixtures/findings.js';
import { NOW, listen, model, obs, resource } from './build.js';
import { rx } from '../../../rx.js';

describe('scanTargets', () => {
  const m = model(
    [resource('db', ['10.0.0.2']), resource('api', ['10.0.0.1']), resource('bare', ['10.0.0.3'])],
    [
      listen('db', '10.0.0.2', 5432),
      listen('api', '10.0.0.1', 8080),
      listen('api', '10.0.0.1', 9000, { toPort: 9002 }),
      listen('rule', '10.0.0.1', 22, { role: 'allow' }),
      listen('dns', '10.0.0.1', 53, { protocol: 'udp' }),
      listen('nohost', null, 7000),
    ],
  );

  it('one target per host of the model, sorted; declared = checked listen ports (ranges expanded)', () => {
    const t = scanTargets(m);
    expect(t.map((x) => [x.host, x.declared])).toEqual([
      ['10.0.0.1', [8080, 9000, 9001, 9002]],
      ['10.0.0.2', [5432]],
      ['10.0.0.3', []],
    ]);
  });

  it('default discovery: the common ports plus ±10 around each declared port, minus the declared ones', () => {
    const [api, db, bare] = scanTargets(m);
    for (let p = 8070; p <= 8090; p++) if (p !== 8080) expect(api!.discovery).toContain(p);
    for (let p = 8990; p <= 9012; p++) if (p < 9000 || p > 9002) expect(api!.discovery).toContain(p);
    expect(api!.discovery).not.toContain(8080);
    expect(api!.discovery).not.toContain(8092);
    expect(db!.discovery).toContain(5442);
    expect(db!.discovery).not.toContain(8075); // neighbourhoods are per host
    // A host with no checked port still gets the common ports, so its shadow services show up.
    expect(bare!.discovery).toEqual([...TOP_PORTS]);
    for (const x of [api!, db!]) expect([...x.discovery].sort((a, b) => a - b)).toEqual(x.discovery);
  });

  it('--ports replaces the discovery set (declared ports are still probed)', () => {
    const [api] = scanTargets(m, { discovery: [8080, 8081, 22] });
    expect(api!.declared).toContain(8080);
    expect(api!.discovery).toEqual([22, 8081]);
  });
});

describe('--fail-on', () => {
  const r = report([moved, undeclared, acked, finding({ kind: 'unobserved', severity: 'low', id: 'f_u' })]);

  it('defaults to any finding', () => {
    expect(exitCodeFor(r, parseFailOn(undefined))).toBe(2);
    expect(exitCodeFor(report([]), parseFailOn(undefined))).toBe(0);
    expect(parseFailOn('any')).toEqual({ any: true });
  });

  it('reads kinds and severities in any case (CI variables are often capitals)', () => {
    expect(parseFailOn('HIGH')).toEqual({ severity: 'high' });
    expect(parseFailOn(' Moved ')).toEqual({ kind: 'moved' });
    expect(() => parseFailOn('CRITICAL')).toThrow(/--fail-on "CRITICAL": expected a kind/);
  });

  it('a kind fails only findings of that kind', () => {
    expect(exitCodeFor(r, parseFailOn('moved'))).toBe(2);
    expect(exitCodeFor(r, parseFailOn('missing'))).toBe(0);
    expect(exitCodeFor(report([missing]), parseFailOn('missing'))).toBe(2);
  });

  it('a severity fails findings at or above it', () => {
    const medium = finding({ kind: 'undeclared', severity: 'medium' });
    expect(fails(medium, parseFailOn('low'))).toBe(true);
    expect(fails(medium, parseFailOn('medium'))).toBe(true);
    expect(fails(medium, parseFailOn('high'))).toBe(false);
    expect(exitCodeFor(report([medium]), parseFailOn('high'))).toBe(0);
  });

  it('acknowledged findings never fail a run', () => {
    expect(exitCodeFor(report([acked]), parseFailOn(undefined))).toBe(0);
    expect(exitCodeFor(report([acked]), parseFailOn('unreachable'))).toBe(0);
  });

  it('names the choices when the value is unknown', () => {
    expect(() => parseFailOn('critical')).toThrow(
      rx(
        /--fail-on "critical": expected a kind \(moved, missing, unreachable, undeclared, /,
        /unobserved, config-drift, unmanaged-rule, missing-rule, stale-rule, wrong-service\)/,
        /, a severity \(low, medium, high\) or any/,
      ),
    );
  });
});

describe('explainUnobserved', () => {
  it('puts the reason into unobserved findings of that host and leaves the others alone', () => {
    const m = model(
      [resource('db', ['db.internal']), resource('api', ['10.0.0.1'])],
      [listen('db', 'db.internal', 5432), listen('api', '10.0.0.1', 80)],
    );
    const r = computeDrift(m, [obs('10.0.0.1', 81, 'open')], { now: NOW });
    const out = explainUnobserved(
      r,
      new Map([['db.internal', { message: 'db.internal does not resolve (ENOTFOUND)', suggestion: 'check DNS' }]]),
    );
    const db = out.findings.find((f) => f.host === 'db.internal')!;
    expect(db.message).toBe('db port 5432 was not observed: db.internal does not resolve (ENOTFOUND)');
    expect(db.suggestion).toBe('check DNS');
    expect(db.id).toBe(r.findings.find((f) => f.host === 'db.internal')!.id);
    const api = out.findings.filter((f) => f.host === '10.0.0.1');
    expect(api).toEqual(r.findings.filter((f) => f.host === '10.0.0.1'));
    expect(explainUnobserved(r, new Map())).toBe(r);
  });
});
