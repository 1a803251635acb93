// How `portdrift scan` turns a probe run into observations, and hosts without any into reasons.
import { describe, expect, it } from 'vitest';
import type { ProbeRun } from '../../../../agent/probe/index.js';
import { SCAN_AGENT, observationsOf, defaultPathPrefix } from '../../../../cli/commands/scan.js';
import type { ProbeResult } from '../../../../shared/types.js';

const AT = '2026-11-24T09:00:00.000Z';
const result = (host: string, ip: string, port: number, state: ProbeResult['state']): ProbeResult => ({
  host,
  ip,
  port,
  state,
  rttMs: state === 'filtered' ? null : 0.1,
  attempts: 1,
});
const summary = { probes: 0, open: 0, closed: 0, filtered: 0, unreachable: 0, seconds: 0 };

describe('scan: observationsOf', () => {
  it('every result, closed included, is an observation of agent "local" at the given time', () => {
    const run: ProbeRun = {
      sweeps: [
        {
          host: 'db.internal',
          ip: '10.0.0.5',
          ports: [5432, 5433],
          results: [result('db.internal', '10.0.0.5', 5432, 'closed'), result('db.internal', '10.0.0.5', 5433, 'open')],
        },
      ],
      summary,
      skipped: [],
    };
    const { observations, reasons } = observationsOf(run, AT);
    expect(observations).toEqual([
      { agent: SCAN_AGENT, host: 'db.internal', ip: '10.0.0.5', port: 5432, state: 'closed', rttMs: 0.1, at: AT },
      { agent: SCAN_AGENT, host: 'db.internal', ip: '10.0.0.5', port: 5433, state: 'open', rttMs: 0.1, at: AT },
    ]);
    expect(SCAN_AGENT).toBe('local');
    expect(reasons.size).toBe(0);
  });

  it('a host that did not resolve, could not be probed or was refused gets a reason', () => {
    const run: ProbeRun = {
      sweeps: [
        { host: 'gone.internal', ip: null, error: 'ENOTFOUND', ports: [], results: [] },
        { host: 'fe80::1', ip: 'fe80::1', error: 'EINVAL', ports: [], results: [] },
      ],
      summary,
      skipped: [
        {
          host: 'meta',
          ip: '169.254.169.254',
          reason: '169.254.169.254 is a cloud metadata address; list it explicitly to probe it',
        },
      ],
    };
    const { observations, reasons } = observationsOf(run, AT);
    expect(observations).toEqual([]);
    expect(reasons.get('gone.internal')).toEqual({
      message: 'gone.internal does not resolve (ENOTFOUND)',
      suggestion: 'check that gone.internal resolves from this machine, or give its address in a targets file',
    });
    expect(reasons.get('fe80::1')!.message).toBe('fe80::1 could not be probed (EINVAL)');
    expect(reasons.get('meta')).toEqual({
      message:
        '169.254.169.254 was refused (169.254.169.254 is a cloud metadata address; list it explicitly to probe it)',
      suggestion: 'pass --allow-special 169.254.169.254/32 to probe it deliberately',
    });
  });

  it('a host with one address observed and another refused has no reason: it was observed', () => {
    const run: ProbeRun = {
      sweeps: [{ host: 'dual', ip: '10.0.0.6', ports: [80], results: [result('dual', '10.0.0.6', 80, 'open')] }],
      summary,
      skipped: [{ host: 'dual', ip: 'fe80::6', reason: 'link-local' }],
    };
    const { observations, reasons } = observationsOf(run, AT);
    expect(observations).toHaveLength(1);
    expect(reasons.has('dual')).toBe(false);
  });
});

describe('scan: defaultPathPrefix', () => {
  it('is the IaC root relative to the working directory, with forward slashes', () => {
    expect(defaultPathPrefix('/repo', '/repo/infra')).toBe('infra');
    expect(defaultPathPrefix('/repo', '/repo/deploy/terraform/prod')).toBe('deploy/terraform/prod');
    expect(defaultPathPrefix('/repo/infra', '/repo/infra')).toBe('');
  });

  it('is empty when the IaC root lies outside the working directory', () => {
    expect(defaultPathPrefix('/repo/app', '/repo/infra')).toBe('');
    expect(defaultPathPrefix('/repo', '/elsewhere')).toBe('');
    expect(defaultPathPrefix('/repo', '/repo/..infra')).toBe('..infra');
  });
});
