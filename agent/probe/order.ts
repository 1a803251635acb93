// What one address is probed for, and in which order. Several names can resolve to the same
// address (db.internal and 10.0.0.5): the address is probed once for the union of their ports
// and each name's sweep takes its own ports from it. Declared ports go first — they are what
// drift is about, and they give the RTT estimator its first samples; discovery follows in a
// shuffled order so a filtered range does not arrive as one burst and no port sequence hits a
// service in order (docs/design/probe-engine.md#order).

export interface AddressJob {
  ip: string;
  family: 4 | 6;
  /** Probe order. */
  ports: Uint16Array;
  /** How many of `ports` (at the front) are declared. */
  declared: number;
}

/** Declared ports in the given order (duplicates dropped), then the rest shuffled. */
/** Reused across calls (and cleared after each): a run may build thousands of probe orders. */
const seen = new Uint8Array(65536);

export function probeOrder(
  declared: Iterable<number>,
  discovery: Iterable<number>,
  random: () => number = Math.random,
): { ports: Uint16Array; declared: number } {
  const first: number[] = [];
  for (const p of declared) if (!seen[p]) (seen[p] = 1), first.push(p);
  const rest: number[] = [];
  for (const p of discovery) if (!seen[p]) (seen[p] = 1), rest.push(p);
  const ports = new Uint16Array(first.length + rest.length);
  ports.set(first, 0);
  ports.set(rest, first.length);
  for (const p of ports) seen[p] = 0;
  // Fisher–Yates over the discovery part only.
  for (let i = ports.length - 1; i > first.length; i--) {
    const j = first.length + Math.floor(random() * (i - first.length + 1));
    const t = ports[i]!;
    ports[i] = ports[j]!;
    ports[j] = t;
  }
  return { ports, declared: first.length };
}
