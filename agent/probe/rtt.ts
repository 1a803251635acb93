// Per-host adaptive connect timeouts (docs/design/probe-engine.md#timeouts; nmap timing.cc, RFC 6298):
// first sample d: srtt = d, rttvar = clamp(d, 5 ms, 2 s); then srtt += (d − srtt)/8,
// rttvar += (|d − srtt| − rttvar)/4; timeout = clamp(srtt + 4·rttvar, floor, cap).
// Samples come from both handshakes and RSTs: an RST is as good a round trip as a SYN-ACK.

const RTTVAR_MIN = 5;
const RTTVAR_MAX = 2000;
/** Samples above this are a stalled loop or a kernel retransmit, not the path's RTT. */
const SAMPLE_MAX = 8000;

export class RttEstimator {
  srtt = 0;
  rttvar = 0;
  samples = 0;

  constructor(
    readonly floorMs: number,
    readonly capMs: number,
  ) {}

  add(ms: number): void {
    if (!(ms >= 0) || ms > SAMPLE_MAX) return;
    if (this.samples++ === 0) {
      this.srtt = ms;
      this.rttvar = Math.min(RTTVAR_MAX, Math.max(RTTVAR_MIN, ms));
      return;
    }
    const delta = ms - this.srtt;
    this.srtt += delta / 8;
    this.rttvar = Math.min(RTTVAR_MAX, this.rttvar + (Math.abs(delta) - this.rttvar) / 4);
  }

  /** The timeout for the next probe; `fallback` (the group's) while this host has no sample. */
  timeout(fallback?: number): number {
    if (this.samples === 0) return fallback ?? this.capMs;
    return Math.min(this.capMs, Math.max(this.floorMs, this.srtt + 4 * this.rttvar));
  }
}
