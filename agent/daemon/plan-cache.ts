// The last plan, kept beside the spool (DIR/plan.json): an agent restarted while the collector
// is down still knows what to probe, so its observations keep accumulating in the spool. Sealed
// with the spool's key (seal.ts): a plan.json the agent did not write is not used.
import { join } from 'node:path';
import type { Plan } from '../../shared/types.js';
import { readRegularFile, writeFileAtomic } from './atomic.js';
import { validatePlan } from './plan.js';
import { seal, unseal } from './seal.js';

export const PLAN_FILE = 'plan.json';

export interface CachedPlan {
  plan: Plan;
  etag: string | null;
}

export interface PlanCache {
  load(): CachedPlan | null;
  save(value: CachedPlan): void;
}

/** `key`: the spool's (DirectorySpool.key). */
export function directoryPlanCache(dir: string, key: Buffer): PlanCache {
  const file = join(dir, PLAN_FILE);
  return {
    load() {
      try {
        const text = unseal(key, PLAN_FILE, readRegularFile(file));
        if (text === null) return null;
        const v = JSON.parse(text) as { plan?: unknown; etag?: unknown };
        return { plan: validatePlan(v.plan), etag: typeof v.etag === 'string' ? v.etag : null };
      } catch {
        // Missing or unreadable: the agent waits for the collector, as on a first start.
        return null;
      }
    },
    save(value) {
      writeFileAtomic(file, seal(key, PLAN_FILE, `${JSON.stringify(value)}\n`));
    },
  };
}

export function memoryPlanCache(): PlanCache {
  let value: CachedPlan | null = null;
  return {
    load: () => value,
    save: (v) => void (value = v),
  };
}
