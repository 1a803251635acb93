// Results as they become known (`onResult`), for output written while the sweep runs
// (`probe --format jsonl`). The connect engine writes each verdict into its per-address arrays
// in place (shared with a worker thread, if any); this reads them at most every POLL_MS while
// the run goes on and hands out the final ones: open and closed as they answer. A filtered
// verdict is not final until the probe is out of tries (a retry may still answer), and an
// open port that is fingerprinted is not complete before its fingerprint: those come at the
// end, with whatever the run left unreported, in the run's own order. Each result once.
import type { ProbeResult } from '../../shared/types.js';
import type { AddressJob } from './order.js';
import { Code, type ShardHost } from './shard-types.js';
import type { HostSweep } from './types.js';

const POLL_MS = 50;

export interface StreamOptions {
  /** Closed results are reported (probe --all). */
  closed: boolean;
  /** Open results may go out before the run ends (false when they get a fingerprint afterwards). */
  earlyOpen: boolean;
}

export class ResultStream {
  private arrays: readonly ShardHost[] | null = null;
  private readonly sent = new Set<string>();
  private last = 0;

  constructor(
    private readonly jobs: readonly AddressJob[],
    /** Per address: the names resolved to it, each with the ports asked of that name. */
    private readonly names: ReadonlyMap<string, readonly { host: string; ports: ReadonlySet<number> }[]>,
    private readonly emit: (r: ProbeResult) => void,
    private readonly o: StreamOptions,
  ) {}

  /** The engine's arrays, in job order, as the run starts. */
  attach(arrays: readonly ShardHost[]): void {
    this.arrays = arrays;
  }

  /** Hands out what became final since the last poll; cheap to call on every progress tick. */
  poll(force = false): void {
    const now = performance.now();
    if (!this.arrays || (!force && now - this.last < POLL_MS)) return;
    this.last = now;
    this.jobs.forEach((job, j) => {
      const a = this.arrays![j];
      if (!a) return;
      for (let pos = 0; pos < job.ports.length; pos++) {
        const code = a.state[pos];
        const early = (code === Code.Open && this.o.earlyOpen) || (code === Code.Closed && this.o.closed);
        // The round trip is written just after the verdict (by another thread, maybe): next poll.
        if (!early || Number.isNaN(a.rtt[pos]!)) continue;
        const port = job.ports[pos]!;
        for (const n of this.names.get(job.ip) ?? []) {
          if (!n.ports.has(port)) continue;
          const key = `${n.host}|${job.ip}|${port}`;
          if (this.sent.has(key)) continue;
          this.sent.add(key);
          const rttMs = Math.round(a.rtt[pos]! * 1000) / 1000;
          this.emit({
            host: n.host,
            ip: job.ip,
            port,
            state: code === Code.Open ? 'open' : 'closed',
            rttMs,
            attempts: a.attempts[pos]!,
          });
        }
      }
    });
  }

  /** Every result of the finished run not handed out yet (with its fingerprint, if any). */
  finish(sweeps: readonly HostSweep[]): void {
    for (const s of sweeps) {
      for (const r of s.results) {
        if (r.state === 'closed' && !this.o.closed) continue;
        const key = `${r.host}|${r.ip}|${r.port}`;
        if (this.sent.has(key)) continue;
        this.sent.add(key);
        this.emit(r);
      }
    }
  }
}
