// The engine's types are what its consumers expect: the agent loop's ProbeFn / SweepRun and the
// batch builder's SweepResult (a type error here is a broken contract).
import { describe, expect, it } from 'vitest';
import type { SweepResult } from '../../../../agent/daemon/batch.js';
import type { ProbeFn, SweepRun } from '../../../../agent/daemon/loop.js';
import type { TargetSpec } from '../../../../agent/daemon/plan.js';
import { probeTargets, type HostSweep, type ProbeRun, type ProbeTarget } from '../../../../agent/probe/index.js';

describe('probe engine contract', () => {
  it('plugs into the agent loop as its ProbeFn, and its sweeps are batch SweepResults', async () => {
    const probe: ProbeFn = (targets, signal, refuse) => probeTargets(targets, { signal, admit: refuse });
    const asRun = (r: ProbeRun): SweepRun => r;
    const asSweep = (s: HostSweep): SweepResult => s;
    const asTarget = (t: TargetSpec): ProbeTarget => t;
    const ac = new AbortController();
    ac.abort();
    const target: TargetSpec = { host: '127.0.0.1', declared: [], discovery: [], expect: { 5432: 'postgres' } };
    expect(asTarget(target).expect).toEqual({ 5432: 'postgres' });
    const run = await probe([target], ac.signal, () => null);
    expect(asRun(run as ProbeRun).sweeps.map(asSweep)).toEqual([
      { host: '127.0.0.1', ip: '127.0.0.1', ports: [], results: [] },
    ]);
  });
});
