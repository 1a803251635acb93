// Fairness between the addresses of a shard: the window is dealt round-robin over the addresses
// that have work, one probe each in turn, skipping those whose own pacing says wait.
import type { HostState } from './host.js';

export class Rotation {
  /** Addresses that may have work; pruned every few ticks, added back when work appears. */
  active: HostState[];
  private rr = 0;

  constructor(hosts: readonly HostState[]) {
    this.active = hosts.filter((h) => (h.isActive = h.n > 0));
  }

  /** The next address after the last one picked that may start a probe now, or null. */
  pick(now: number, epoch: number): HostState | null {
    const active = this.active;
    const count = active.length;
    for (let k = 0; k < count; k++) {
      const idx = (this.rr + k) % count;
      const h = active[idx]!;
      if (h.canStart(now, epoch)) {
        this.rr = idx + 1;
        return h;
      }
    }
    return null;
  }

  reactivate(h: HostState): void {
    if (h.isActive) return;
    h.isActive = true;
    this.active.push(h);
  }

  /** Drop addresses with nothing left to start and nothing in flight: O(addresses), so not every tick. */
  prune(): void {
    this.active = this.active.filter((h) => (h.isActive = h.hasWork() || h.inflight > 0));
  }

  hasWork(): boolean {
    for (const h of this.active) if (h.hasWork()) return true;
    return false;
  }
}
