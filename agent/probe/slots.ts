// The connects in flight of one shard: a fixed table of slots (one per connect the window
// allows), in typed arrays, with a stack of free ones. A slot's generation changes each time it
// is taken, so a verdict queued for an earlier connect in the same slot is recognised as stale.

export class Slots {
  /** The address index of each slot's connect; -1 when the slot is free. */
  readonly host: Int32Array;
  /** The position in that address's probe order. */
  readonly pos: Int32Array;
  /** When the connect started (clock ms). */
  readonly start: Float64Array;
  readonly gen: Uint32Array;
  private readonly free: Int32Array;
  private freeTop = 0;
  inflight = 0;

  constructor(readonly size: number) {
    this.host = new Int32Array(size).fill(-1);
    this.pos = new Int32Array(size);
    this.start = new Float64Array(size);
    this.gen = new Uint32Array(size);
    this.free = new Int32Array(size);
    for (let i = size - 1; i >= 0; i--) this.free[this.freeTop++] = i;
  }

  /** Takes a free slot; the caller makes sure one is free (inflight < size). */
  alloc(hostIndex: number, pos: number, now: number): number {
    const slot = this.free[--this.freeTop]!;
    this.host[slot] = hostIndex;
    this.pos[slot] = pos;
    this.start[slot] = now;
    this.gen[slot] = (this.gen[slot]! + 1) >>> 0;
    this.inflight++;
    return slot;
  }

  release(slot: number): void {
    this.host[slot] = -1;
    this.free[this.freeTop++] = slot;
    this.inflight--;
  }
}
