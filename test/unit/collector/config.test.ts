// The collector's configuration reports every problem at once (docs/collector.md): the schema's
// (unknown keys, types, ranges) together with the checks across fields, and no derived problem
// for a field that already failed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectorConfig } from '../../../collector/config.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-collector-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('collector config', () => {
  it('lists schema problems and cross-field problems in one error', () => {
    const file = join(dir, 'multi.yaml');
    writeFileSync(
      file,
      'iac: [infra]\nbogusKey: 1\ncycles: 0\ndiscovery: 1-99999\nlisten: ' +
        '127.0.0.1:99999\ntlsCert: /x.pem\nreportTo: [nope]\n',
    );
    let err: (Error & { code?: string; details?: { problems: string[] } }) | undefined;
    try {
      collectorConfig(file, {});
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe('PD_CONFIG_INVALID');
    expect(err?.details?.problems).toEqual([
      'bogusKey: unknown key',
      'cycles: must be at least 1, got 0',
      'tlsKey: tlsCert and tlsKey go together',
      'discovery: invalid port spec "1-99999": 99999 is outside 1-65535',
      'listen: port 99999 is out of range',
      'smtp: is required when reports are configured (reportTo, reportEvery or reportAt)',
      'reportTo[0]: "nope" is not an email address',
    ]);
  });

  it('a report key that fails the schema hides none of the other report problems', () => {
    expect(() => collectorConfig(undefined, { iac: ['infra'], smtp: 5, reportTo: ['nope'] })).toThrow(
      /smtp: [^\n]*\n {2}reportTo\[0\]: "nope" is not an email address/,
    );
  });

  it('retention must cover the freshness window; rows per agent are capped by default', () => {
    const iac = ['infra'];
    const problem = 'retention: must be at least the freshness window (900s), else live results go';
    expect(() => collectorConfig(undefined, { iac, retention: '10m' })).toThrow(problem);
    const defaults = collectorConfig(undefined, { iac });
    expect(defaults).toMatchObject({ retention: 30 * 86_400_000, maxRowsPerAgent: 1_000_000 });
  });

  it('bounds a batch at 8 MiB and the batch bytes in flight at 64 MiB by default; in flight holds a batch', () => {
    const [iac, MiB] = [['infra'], 1024 * 1024];
    expect(collectorConfig(undefined, { iac })).toMatchObject({ maxBatchBytes: 8 * MiB, maxInflightBytes: 64 * MiB });
    expect(() => collectorConfig(undefined, { iac, maxBatchBytes: 16 * MiB, maxInflightBytes: 8 * MiB })).toThrow(
      'maxInflightBytes: must be at least maxBatchBytes (16777216), else the largest batch never fits',
    );
  });

  it('a field that fails the schema gets no second, derived problem', () => {
    expect(() => collectorConfig(undefined, { iac: 5 })).toThrow(/^collector flags is invalid:\n {2}iac: [^\n]*$/);
  });

  it('leaderLease: 20 s by default, a duration from 3 s to 5 min', () => {
    const iac = ['infra'];
    expect(collectorConfig(undefined, { iac }).leaderLease).toBe(20_000);
    expect(collectorConfig(undefined, { iac, leaderLease: '5s' }).leaderLease).toBe(5000);
    expect(collectorConfig(undefined, { iac, leaderLease: '5m' }).leaderLease).toBe(300_000);
    expect(() => collectorConfig(undefined, { iac, leaderLease: '2s' })).toThrow(
      'leaderLease: must be at least 3000ms, got 2s',
    );
    expect(() => collectorConfig(undefined, { iac, leaderLease: '6m' })).toThrow(
      'leaderLease: must be at most 300000ms, got 6m',
    );
    expect(() => collectorConfig(undefined, { iac, leaderLease: 'soon' })).toThrow(/leaderLease: must be a duration/);
  });
});
