import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directoryPlanCache, memoryPlanCache, PLAN_FILE } from '../../../../agent/daemon/plan-cache.js';
import { validatePlan } from '../../../../agent/daemon/plan.js';
import { DirectorySpool } from '../../../../agent/daemon/spool.js';
import type { Plan } from '../../../../shared/types.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-plancache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const plan: Plan = {
  version: 1,
  agent: 'a',
  revision: 'r7',
  intervalMs: 60_000,
  targets: [{ host: '10.0.0.5', declared: [5432], discovery: 'top', resources: ['x'] }],
};

describe('plan cache', () => {
  const key = () => new DirectorySpool(dir).key;

  it('keeps the last plan across a restart, beside the spool (which ignores it)', () => {
    expect(directoryPlanCache(dir, key()).load()).toBeNull();
    directoryPlanCache(dir, key()).save({ plan, etag: '"r7"' });
    expect(directoryPlanCache(dir, key()).load()).toEqual({ plan, etag: '"r7"' });
    expect(new DirectorySpool(dir).recovered.ignored).toEqual([]);
  });

  it('treats a damaged cache as no cache', () => {
    writeFileSync(join(dir, PLAN_FILE), '{"plan": {"version": 9}}');
    expect(directoryPlanCache(dir, key()).load()).toBeNull();
  });

  it('does not use a plan.json it did not write (no valid seal)', () => {
    writeFileSync(join(dir, PLAN_FILE), `${JSON.stringify({ plan, etag: null })}\n`);
    expect(directoryPlanCache(dir, key()).load()).toBeNull();
  });

  it('has an in-memory form', () => {
    const c = memoryPlanCache();
    expect(c.load()).toBeNull();
    c.save({ plan, etag: null });
    expect(c.load()).toEqual({ plan, etag: null });
  });
});

describe('validatePlan: checkIntervalMs', () => {
  const base = { version: 1, agent: 'a', revision: 'r', intervalMs: 1000, targets: [] };
  it('takes a positive number or no field, and refuses anything else naming the field', () => {
    expect(validatePlan({ ...base, checkIntervalMs: 15_000 }).checkIntervalMs).toBe(15_000);
    expect(validatePlan(base)).not.toHaveProperty('checkIntervalMs');
    for (const bad of [0, -1, '15s', null, Number.POSITIVE_INFINITY]) {
      expect(() => validatePlan({ ...base, checkIntervalMs: bad })).toThrow(/checkIntervalMs: not a positive number/);
    }
  });
});
