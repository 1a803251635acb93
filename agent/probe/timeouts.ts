// The timeout decision. There is no timer per probe: one coarse tick walks the slots in flight,
// refreshes each address's adaptive timeout (its RTT estimate, else the shard's, else the cap),
// counts the probes old enough to only wait (window.ts OLD_MS), and lists those past their
// address's timeout. The list is decided later, after the poll phase (clock.soon): a connect
// answered meanwhile has freed or reused its slot, and its entry is then stale.
import type { HostState } from './host.js';
import type { RttEstimator } from './rtt.js';
import type { Slots } from './slots.js';
import { OLD_MS } from './window.js';

export class TimeoutWalk {
  /** Ticks so far; an address's `old` count is valid while its `epoch` equals this. */
  epoch = 0;
  /** Probes in flight older than OLD_MS at the last walk. */
  old = 0;
  /** Pairs (slot, generation) past their timeout, waiting for their verdict. */
  private pending: number[] = [];

  constructor(
    private readonly slots: Slots,
    private readonly hosts: readonly HostState[],
    private readonly group: RttEstimator,
    private readonly capMs: number,
  ) {}

  /**
   * One tick at `now`. Per-address state is refreshed only for addresses with probes in
   * flight: O(window), not O(addresses). True when probes wait for a timeout verdict.
   */
  walk(now: number): boolean {
    const { slots, hosts } = this;
    const fallback = this.group.samples > 0 ? this.group.timeout() : this.capMs;
    const epoch = ++this.epoch;
    let old = 0;
    for (let slot = 0; slot < slots.size; slot++) {
      const hi = slots.host[slot]!;
      if (hi < 0) continue;
      const h = hosts[hi]!;
      if (h.epoch !== epoch) {
        h.epoch = epoch;
        h.old = 0;
        h.timeoutMs = h.rtt.timeout(fallback);
      }
      const age = now - slots.start[slot]!;
      if (age >= OLD_MS) {
        old++;
        h.old++;
      }
      if (age >= h.timeoutMs) this.pending.push(slot, slots.gen[slot]!);
    }
    this.old = old;
    return this.pending.length > 0;
  }

  /** The (slot, generation) pairs listed so far, emptying the list; check each with current() when deciding. */
  take(): number[] {
    const list = this.pending;
    this.pending = [];
    return list;
  }

  /** The connect listed for `slot` at generation `gen` is still in flight (not answered, not decided). */
  current(slot: number, gen: number): boolean {
    return this.slots.gen[slot] === gen && this.slots.host[slot]! >= 0;
  }
}
