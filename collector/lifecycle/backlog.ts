// The restart hold: after a restart the agents that were reporting drain their spools, and the
// damping waits for their backlogs rather than judge a store that is stale until they are in.
import type { Logger } from '../../shared/log.js';
import type { ParsedBatch, Store } from '../store/types.js';

/** An agent is late after three missed intervals (docs/design/findings.md#late-agents). */
export const LATE_FACTOR = 3;

export class BacklogHold {
  /** Agents whose backlog is not in yet after a restart: they hold the damping. */
  private readonly draining = new Set<string>();
  private deadline = -Infinity;

  /**
   * One interval is not always enough for the backlogs: under load, or with many batches spooled,
   * an agent's drain can take longer. The agents that were reporting when the collector stopped
   * (seen within LATE_FACTOR of their interval before the last batch of all) hold every damping
   * cycle until each has sent a fresh batch with nothing spooled behind it (backlogIn), for at
   * most LATE_FACTOR intervals: an agent that does not come back holds nothing for long.
   */
  async start(store: Store, nowMs: number, intervalMs: number, log: Logger): Promise<void> {
    const agents = await store.agents();
    if (agents.length === 0) return;
    const last = Math.max(...agents.map((a) => Date.parse(a.lastSeen)));
    for (const a of agents) {
      if (last - Date.parse(a.lastSeen) <= LATE_FACTOR * (a.intervalMs ?? intervalMs)) this.draining.add(a.name);
    }
    this.deadline = nowMs + LATE_FACTOR * intervalMs;
    const maxWaitMs = LATE_FACTOR * intervalMs;
    const msg = 'damping waits for the spooled batches of the agents that were reporting';
    log.info({ agents: this.draining.size, maxWaitMs }, msg);
  }

  /** A batch came in: its agent stops holding once its backlog is in. */
  note(batch: ParsedBatch, nowMs: number, freshnessMs: number): void {
    if (this.draining.size > 0 && backlogIn(batch, nowMs, freshnessMs)) this.draining.delete(batch.header.agent);
  }

  /** Whether the damping waits now. */
  held(nowMs: number): boolean {
    return this.draining.size > 0 && nowMs < this.deadline;
  }
}

/**
 * The agent's backlog is in: nothing was spooled behind this batch, and it is fresh. Not the
 * depth alone: the last backlog batch goes out with depth 0 while the sweep that follows the
 * restart is still running, and its data is as stale as the rest of the backlog.
 */
function backlogIn(batch: ParsedBatch, now: number, freshnessMs: number): boolean {
  return batch.header.spoolDepth === 0 && now - Date.parse(batch.header.finishedAt) < freshnessMs;
}
