// What a shard reports: each verdict written at its probe's position in the address's probe
// order (the caller maps positions back to ports), the count of probes settled for good (for
// progress and for knowing when the run is over), and per address the reasons it could not be
// probed in full. A filtered verdict is written at once but settles only when the probe is out
// of tries, and a deepened retry depth unsettles it again.
import type { HostState } from './host.js';
import { Code, type ShardHostResult } from './shard-types.js';

export class ShardResults {
  /** Probes with a final verdict (or given up). */
  settled = 0;

  /** Open or closed, with the round trip of the answer. */
  answered(h: HostState, pos: number, code: Code.Open | Code.Closed, rttMs: number): void {
    h.state[pos] = code;
    h.rttMs[pos] = rttMs;
    this.settled++;
  }

  unreachable(h: HostState, pos: number): void {
    h.state[pos] = Code.Unreachable;
    this.settled++;
  }

  /** No answer in time: the state until a later try answers; settle() once out of tries. */
  filtered(h: HostState, pos: number): void {
    h.state[pos] = Code.Filtered;
  }

  settle(): void {
    this.settled++;
  }

  /** Filtered probes brought back for more tries. */
  unsettle(n: number): void {
    this.settled -= n;
  }

  /** Local errors of one probe persisted with nothing of ours in flight: it is not made. */
  gaveUp(h: HostState): void {
    h.localGaveUp++;
    this.settled++;
  }

  /** Per address, in the order given: the arrays written in place, and why part of it was not probed. */
  static final(hosts: readonly HostState[]): ShardHostResult[] {
    return hosts.map((h) => {
      const errors: string[] = [];
      if (h.configError) errors.push(h.configError);
      if (h.localGaveUp > 0) errors.push(`${h.localGaveUp} probe(s) not made: local ${h.lastLocal} persisted`);
      const error = errors.length ? { error: errors.join('; ') } : {};
      return { state: h.state, rtt: h.rttMs, attempts: h.attempts, ...error };
    });
  }
}
