// Ground truth of a lab scenario and the accuracy of a prober's answer against it. Used by the
// probe integration tests (which demand exactness) and by bench/probe.bench.mjs (which reports
// every run). A scenario's truth: the probed port range, and per address the open ports, the
// DROPped ranges, or that it is unreachable; every other port is closed.

/**
 * @typedef {{ ip: string, open?: number[], filtered?: Array<[number, number]>, unreachable?: boolean }} HostTruth
 * @typedef {{ ports: [number, number], hosts: HostTruth[] }} Truth
 * @typedef {'open' | 'closed' | 'filtered' | 'unreachable'} State
 * @typedef {{ ip: string, port: number, state: State }} Observed
 */

/** The expected state of ip:port under a truth. */
export function expectedState(truth, ip, port) {
  const host = truth.hosts.find((h) => h.ip === ip);
  if (!host) return undefined;
  if (host.unreachable) return 'unreachable';
  if (host.open?.includes(port)) return 'open';
  if (host.filtered?.some(([a, b]) => port >= a && port <= b)) return 'filtered';
  return 'closed';
}

/** Every expected non-closed (ip, port, state) of a truth. */
function nonClosed(truth) {
  const out = [];
  const [lo, hi] = truth.ports;
  for (const h of truth.hosts) {
    if (h.unreachable) {
      for (let p = lo; p <= hi; p++) out.push({ ip: h.ip, port: p, state: 'unreachable' });
      continue;
    }
    for (const p of h.open ?? []) if (p >= lo && p <= hi) out.push({ ip: h.ip, port: p, state: 'open' });
    for (const [a, b] of h.filtered ?? []) {
      for (let p = Math.max(a, lo); p <= Math.min(b, hi); p++)
        if (!h.open?.includes(p)) out.push({ ip: h.ip, port: p, state: 'filtered' });
    }
  }
  return out;
}

const key = (ip, port) => `${ip}|${port}`;
const show = (o) => `${o.ip.includes(':') ? `[${o.ip}]` : o.ip}:${o.port}`;

/**
 * Compares observed results (closed ones may be omitted: a missing ip:port counts as closed)
 * with the truth. `exact` is true when every probed ip:port has its expected state.
 * Lists are cut to 20 entries; the counts are complete.
 * @param {Truth} truth
 * @param {Iterable<Observed>} observed
 */
export function compare(truth, observed) {
  const seen = new Map();
  const foreign = [];
  for (const o of observed) {
    if (expectedState(truth, o.ip, o.port) === undefined || o.port < truth.ports[0] || o.port > truth.ports[1])
      foreign.push(o);
    else seen.set(key(o.ip, o.port), o.state);
  }
  const r = {
    openExpected: 0,
    openFound: 0,
    missedOpen: [],
    falseOpen: [],
    filteredExpected: 0,
    filteredFound: 0,
    filteredAsClosed: 0,
    closedAsFiltered: 0,
    unreachableExpected: 0,
    unreachableFound: 0,
    otherMismatches: 0,
    mismatches: [],
    falseOpenCount: 0,
    foreign: foreign.length,
  };
  const falseOpen = (o) => {
    r.falseOpenCount++;
    if (r.falseOpen.length < 20) r.falseOpen.push(show(o));
  };
  const note = (o, got) => {
    if (r.mismatches.length < 20) r.mismatches.push(`${show(o)} expected ${o.state}, got ${got}`);
  };
  const expected = nonClosed(truth);
  const expectedKeys = new Set();
  for (const e of expected) {
    expectedKeys.add(key(e.ip, e.port));
    const got = seen.get(key(e.ip, e.port)) ?? 'closed';
    if (e.state === 'open') {
      r.openExpected++;
      if (got === 'open') r.openFound++;
      else {
        if (r.missedOpen.length < 20) r.missedOpen.push(`${show(e)} (${got})`);
        note(e, got);
      }
    } else if (e.state === 'filtered') {
      r.filteredExpected++;
      if (got === 'filtered') r.filteredFound++;
      else {
        if (got === 'closed') r.filteredAsClosed++;
        else if (got === 'open') falseOpen(e);
        else r.otherMismatches++;
        note(e, got);
      }
    } else {
      r.unreachableExpected++;
      if (got === 'unreachable') r.unreachableFound++;
      else {
        if (got === 'open') falseOpen(e);
        else r.otherMismatches++;
        note(e, got);
      }
    }
  }
  // Observed non-closed results where closed was expected.
  for (const [k, state] of seen) {
    if (expectedKeys.has(k) || state === 'closed') continue;
    const [ip, port] = [k.slice(0, k.lastIndexOf('|')), Number(k.slice(k.lastIndexOf('|') + 1))];
    const o = { ip, port, state: 'closed' };
    if (state === 'open') falseOpen(o);
    else if (state === 'filtered') r.closedAsFiltered++;
    else r.otherMismatches++;
    note(o, state);
  }
  r.exact =
    r.openFound === r.openExpected &&
    r.falseOpenCount === 0 &&
    r.filteredFound === r.filteredExpected &&
    r.closedAsFiltered === 0 &&
    r.unreachableFound === r.unreachableExpected &&
    r.otherMismatches === 0 &&
    foreign.length === 0;
  return r;
}

/** One line for a bench table or an assertion message. */
export function describeAccuracy(r) {
  const parts = [`open ${r.openFound}/${r.openExpected}`, `false open ${r.falseOpenCount}`];
  if (r.filteredExpected || r.closedAsFiltered || r.filteredAsClosed)
    parts.push(
      `filtered ${r.filteredFound}/${r.filteredExpected} (as closed ` +
        `${r.filteredAsClosed}, closed as filtered ${r.closedAsFiltered})`,
    );
  if (r.unreachableExpected) parts.push(`unreachable ${r.unreachableFound}/${r.unreachableExpected}`);
  if (r.otherMismatches) parts.push(`other mismatches ${r.otherMismatches}`);
  if (r.foreign) parts.push(`results outside the scenario ${r.foreign}`);
  return `${r.exact ? 'exact' : 'INEXACT'}: ${parts.join(', ')}`;
}

/** The number of ip:port pairs a truth covers. */
export function probeCount(truth) {
  return truth.hosts.length * (truth.ports[1] - truth.ports[0] + 1);
}
