// The agents as the collector sees them: lateness, key age and the workloads their pod matches
// (the API's agent list).
import { podIndex, podResources } from '../shared/drift/pods.js';
import type { DeclaredModel } from '../shared/types.js';
import { LATE_FACTOR } from './lifecycle/backlog.js';
import type { AgentRecord, Store } from './store/types.js';

export interface AgentView extends AgentRecord {
  late: boolean;
  /** How old the agent's key in force is; null without a live key. */
  keyAgeMs: number | null;
  /** The IaC resources (workloads, Services) whose selector matches the agent's pod. */
  workloads: string[];
}

/** Every agent the store knows; `intervalMs` is the collector's, for agents that never said theirs. */
export async function agentViews(
  store: Store,
  model: DeclaredModel | undefined,
  now: number,
  intervalMs: number,
): Promise<AgentView[]> {
  const index = model ? podIndex(model) : null;
  return (await store.agents()).map((a) => ({
    ...a,
    late: now - Date.parse(a.lastSeen) > LATE_FACTOR * (a.intervalMs ?? intervalMs),
    keyAgeMs: a.keyCreatedAt === null ? null : Math.max(0, now - Date.parse(a.keyCreatedAt)),
    workloads: a.pod && model ? podResources(model, a.pod, index!).map((r) => r.address) : [],
  }));
}
