// The last plan, kept beside the spool (DIR/plan.json): an agent restarted while the collector
// is down still knows what to probe, so its observations keep accumulating in the spool.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../shared/types.js';
import { writeFileAtomic } from './atomic.js';
import { validatePlan } from './plan.js';

export const PLAN_FILE = 'plan.json';

export interface CachedPlan {
  plan: Plan;
  etag: string | null;
}

export interface PlanCache {
  load(): CachedPlan | null;
  save(value: CachedPlan): void;
}

export function directoryPlanCache(dir: string): PlanCache {
  const file = join(dir, PLAN_FILE);
  return {
    load() {
      try {
        const v = JSON.parse(readFileSync(file, 'utf8')) as { plan?: unknown; etag?: unknown };
        return { plan: validatePlan(v.plan), etag: typeof v.etag === 'string' ? v.etag : null };
      } catch {
        // Missing or unreadable: the agent waits for the collector, as on a first start.
        return null;
      }
    },
    save(value) {
      writeFileAtomic(file, `${JSON.stringify(value)}\n`);
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
