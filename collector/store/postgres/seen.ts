// "Last seen" per sweep instead of per port. A result that repeats its port's current state
// (same state, same service) does not touch the port's current_state row: PostgreSQL writes a new
// row version for every update, so rewriting `at` on each repeat grew the database by the size of
// the whole current state every probe cycle. Instead each batch adds its repeated ports to one
// `seen` row per (agent, host, ip, at): a "generation" holding the ports (an int4multirange)
// that were seen unchanged at that time. A port's last-seen time is the latest of its row's `at`
// (when it was first seen or last changed) and the `at` of every generation that holds it.
// A batch removes the ports it reports from its address's older generations (a generation left
// empty is deleted), so an address that repeats every cycle keeps one generation: writes per
// cycle follow the number of addresses and the changes, not the number of ports.
// Here: the multirange text form both ways, and the last-seen index readers build from the rows.
import { runs } from '../rows.js';

/** Inclusive port runs, sorted, as parsed from an int4multirange's text form. */
export type PortRuns = Array<[number, number]>;

/** `{[1,22),[80,81)}` for ports 1–21 and 80 (sorted, unique). */
export function multirange(sortedPorts: number[]): string {
  return `{${runs(sortedPorts)
    .map(([lo, hi]) => `[${lo},${hi + 1})`)
    .join(',')}}`;
}

/** The runs of PostgreSQL's text form of an int4multirange (canonical `[lo,hi)` ranges). */
export function parseMultirange(text: string): PortRuns {
  const out: PortRuns = [];
  const re = /\[(\d+),(\d+)\)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push([Number(m[1]), Number(m[2]) - 1]);
  return out;
}

function holds(r: PortRuns, port: number): boolean {
  let lo = 0;
  let hi = r.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = r[mid]!;
    if (port < a) hi = mid - 1;
    else if (port > b) lo = mid + 1;
    else return true;
  }
  return false;
}

const keyOf = (agent: string, host: string, ip: string) => `${agent}\u0000${host}\u0000${ip}`;

/** The generations of some addresses, to answer a port's last-seen time. */
export class SeenIndex {
  private readonly byAddress = new Map<string, Array<{ at: string; ports: PortRuns }>>();

  constructor(rows: Iterable<Record<string, unknown>>) {
    for (const r of rows) {
      const k = keyOf(r.agent as string, r.host as string, r.ip as string);
      let list = this.byAddress.get(k);
      if (!list) this.byAddress.set(k, (list = []));
      list.push({ at: r.at as string, ports: parseMultirange(r.ports as string) });
    }
  }

  // Rows come grouped by address: the last address's generations, kept for the next row.
  private last: { agent: string; host: string; ip: string; gens: Array<{ at: string; ports: PortRuns }> } | null = null;

  /** The port's last-seen time: its row's `at`, or a later generation that holds the port. */
  lastSeen(agent: string, host: string, ip: string, port: number, rowAt: string): string {
    let l = this.last;
    if (l === null || l.host !== host || l.ip !== ip || l.agent !== agent) {
      l = this.last = { agent, host, ip, gens: this.byAddress.get(keyOf(agent, host, ip)) ?? [] };
    }
    let at = rowAt;
    for (const g of l.gens) if (g.at > at && holds(g.ports, port)) at = g.at;
    return at;
  }
}

/** The generations' columns as SeenIndex reads them. */
export const SEEN_COLUMNS = 'agent, host, ip, at, ports::text AS ports';
