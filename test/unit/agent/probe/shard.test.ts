// The engine's decisions with time driven by hand (ManualClock) and an in-memory network that
// answers as each test scripts it: when a probe is decided filtered, when its retry starts,
// how the window, the per-address cwnd and rate buckets pace starts, how local errors shrink
// and stall, and that an answer that arrived while the loop was blocked beats the timer.
import { describe, expect, it } from 'vitest';
import { Code, runShard } from '../../../../agent/probe/engine.js';
import type { ShardHooks, ShardHost, ShardOutput, ShardSettings } from '../../../../agent/probe/engine.js';
import { isPortdriftError } from '../../../../shared/errors.js';
import { closed, EMFILE, ManualClock, open, ScriptedNet, type Script } from './manual.js';
import { host, settings } from './settings.js';

/** Starts a shard on a manual clock; `run()` turns the loop until the engine stops its tick. */
function shard(hosts: ShardHost[], s: ShardSettings, script: Script, hooks: ShardHooks = {}) {
  const clock = new ManualClock();
  const net = new ScriptedNet(clock, script);
  let outcome: ShardOutput | Error | undefined;
  const promise = runShard(hosts, s, net.factory, hooks, clock).then(
    (o) => (outcome = o),
    (e: Error) => (outcome = e),
  );
  const run = async (limitMs = 60_000) => {
    const took = clock.runUntil(() => clock.liveTimers() === 0, limitMs);
    await promise;
    return { took, out: outcome! };
  };
  return { clock, net, run, promise };
}

const ok = (x: ShardOutput | Error): ShardOutput => {
  if (x instanceof Error) throw x;
  return x;
};

describe('the engine on a manual clock', () => {
  it('an unanswered probe: filtered at the first tick past the cap, retried after the spacing, parked', async () => {
    const { net, run } = shard([host([7])], settings(), () => 'drop');
    const { took, out } = await run();
    // Timeout 300 ms (no RTT sample yet: the cap); the retry waits max(200, 2 × 300) = 600 ms.
    expect(net.timesOf(7)).toEqual([0, 900]);
    expect(net.cancels.map((c) => c.t)).toEqual([300, 1200]);
    expect(took).toBe(1200);
    const r = ok(out).results[0]!;
    expect(r.state[0]).toBe(Code.Filtered);
    expect(r.attempts[0]).toBe(2);
    expect(Number.isNaN(r.rtt[0]!)).toBe(true);
  });

  it('once the address has an RTT sample, its timeout adapts down to srtt + 4·rttvar (here the floor)', async () => {
    const script: Script = (_ip, port) => (port === 1 ? open(2) : 'drop');
    const { clock, net, run } = shard([host([1, 2])], settings({ retries: 0 }), script);
    clock.advance(99);
    expect(net.cancels).toEqual([]);
    clock.advance(1);
    // srtt 2, rttvar 5: 22 ms, clamped to the 100 ms floor; the next tick after 100 ms decides.
    expect(net.cancels.map((c) => c.t)).toEqual([100]);
    const r = ok((await run()).out).results[0]!;
    expect([...r.state]).toEqual([Code.Open, Code.Filtered]);
    expect(r.rtt[0]).toBe(2);
  });

  it('an answer that arrived while the loop was blocked wins over the timeout found in the same turn', async () => {
    const s = settings({ timeoutCapMs: 20, timeoutFloorMs: 20, retries: 0 });
    const { clock, net, run } = shard([host([5])], s, () => open(5));
    clock.block(100); // far past the timeout: the tick of the next turn finds the probe overdue…
    clock.turn(); // …but the poll phase delivers the answer before the verdict's immediate runs
    const r = ok((await run()).out).results[0]!;
    expect(r.state[0]).toBe(Code.Open);
    expect(net.cancels).toEqual([]);
  });

  it('closed ports are never retried; every probe is made once', async () => {
    const ports = Array.from({ length: 200 }, (_, i) => 1000 + i);
    const { net, run } = shard([host(ports)], settings(), () => closed(3));
    const { out } = await run();
    const r = ok(out);
    expect(r.stats.started).toBe(200);
    expect(net.starts.length).toBe(200);
    expect([...r.results[0]!.state].every((s) => s === Code.Closed)).toBe(true);
    expect(net.peak).toBeLessThanOrEqual(64);
  });

  it('the per-address cwnd counts only probes younger than 20 ms: unanswered ones pace the next starts', async () => {
    const s = settings({ cwndInit: 2, cwndMin: 1, cwndMax: 2, timeoutCapMs: 1000, retries: 0 });
    const { net, run } = shard([host([1, 2, 3, 4, 5, 6])], s, () => 'drop');
    await run();
    expect(net.starts.map((s) => s.t)).toEqual([0, 0, 20, 20, 40, 40]);
  });

  it('the per-address rate bucket: a burst of rate/50, then one start per 1/rate', async () => {
    const ports = Array.from({ length: 6 }, (_, i) => 100 + i);
    const { net, run } = shard([host(ports)], settings({ perHostRate: 100 }), () => closed(1));
    await run();
    // Burst max(1, 100/50) = 2 at once; then a token each 10 ms, taken at the tick.
    expect(net.starts.map((s) => s.t)).toEqual([0, 0, 10, 20, 30, 40]);
  });

  it('--rate: one token to start, then paces all addresses together, dealt round-robin', async () => {
    const a = host([1, 2, 3, 4], '127.0.0.1');
    const b = host([1, 2, 3, 4], '127.0.0.2');
    const { net, run } = shard([a, b], settings({ rate: 100 }), () => closed(1));
    await run();
    // 100/s: one token per 10 ms, burst 2; the first start uses the one token it starts with.
    const times = net.starts.map((s) => s.t);
    expect(times[0]).toBe(0);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(i === 1 ? 10 : 0);
    expect(times.length).toBe(8);
    expect(times[7]).toBeGreaterThanOrEqual(60);
    expect(net.starts.map((s) => s.ip)).toEqual(Array.from({ length: 8 }, (_, i) => `127.0.0.${(i % 2) + 1}`));
  });

  it('a local error shrinks the window, pauses one tick, requeues the probe without spending a try', async () => {
    let fails = 3;
    const script: Script = () => (fails-- > 0 ? { sync: EMFILE } : closed(1));
    const { net, run } = shard([host([1, 2, 3])], settings({ window: 16 }), script);
    const r = ok((await run()).out);
    expect(r.stats.localErrors).toBe(3);
    expect(r.stats.smallestWindow).toBe(1);
    // Each failure came with nothing in flight: the window is 1 and each tick makes one try.
    expect(net.starts.map((s) => s.t)).toEqual([30, 31, 32]);
    expect([...r.results[0]!.state]).toEqual([Code.Closed, Code.Closed, Code.Closed]);
    expect([...r.results[0]!.attempts]).toEqual([1, 1, 1]);
  });

  it('a local error that persists with nothing in flight: the probe is given up after 50 tries', async () => {
    const { run } = shard([host([1])], settings(), () => ({ sync: EMFILE }));
    const { took, out } = await run();
    const r = ok(out);
    expect(r.stats.localErrors).toBe(50);
    expect(took).toBe(490);
    expect(r.results[0]!.state[0]).toBe(Code.Unprobed);
    expect(r.results[0]!.error).toBe('1 probe(s) not made: local EMFILE persisted');
  });

  it('local errors in a row with nothing in flight end the run with PD_PROBE_LOCAL', async () => {
    const ports = Array.from({ length: 10 }, (_, i) => i + 1);
    const { clock, run } = shard([host(ports)], settings(), () => ({ sync: EMFILE }));
    const { took, out } = await run();
    expect(isPortdriftError(out) && out.code).toBe('PD_PROBE_LOCAL');
    expect(took).toBe(2000);
    expect(clock.liveTimers()).toBe(0);
  });

  it('where a retry pays off, a filtered probe on that address gets 1 + retries + 2 tries', async () => {
    // Port 1 is closed but its first SYN is lost; port 2 never answers.
    const script: Script = (_ip, port, attempt) => (port === 1 && attempt > 1 ? closed(1) : 'drop');
    const { net, run } = shard([host([1, 2])], settings(), script);
    const r = ok((await run()).out).results[0]!;
    expect([...r.state]).toEqual([Code.Closed, Code.Filtered]);
    expect([...r.attempts]).toEqual([2, 4]);
    // Both time out at the cap (300), retry at 900; port 1 answers, so the address's timeout
    // drops to the floor (100 ms) and port 2's retries follow 200 ms apart.
    expect(net.timesOf(2)).toEqual([0, 900, 1200, 1500]);
  });

  it('a self-connect is made again at once and costs no try', async () => {
    const script: Script = (_ip, _port, attempt) => (attempt === 1 ? { status: 0, ms: 1, self: true } : closed(1));
    const { net, run } = shard([host([9])], settings(), script);
    const r = ok((await run()).out);
    expect(r.stats.selfConnects).toBe(1);
    expect(net.timesOf(9)).toEqual([0, 1]);
    expect(r.results[0]!.state[0]).toBe(Code.Closed);
    expect(r.results[0]!.attempts[0]).toBe(1);
  });

  it('abort cancels what is in flight: that try does not count, and what was answered stays', async () => {
    const ac = new AbortController();
    const script: Script = (_ip, port) => (port === 1 ? closed(1) : 'drop');
    const s = settings({ timeoutCapMs: 10_000 });
    const { clock, net, run } = shard([host([1, 2])], s, script, { signal: ac.signal });
    clock.advance(50);
    ac.abort();
    const { out } = await run();
    const r = ok(out);
    expect(r.stats.aborted).toBe(true);
    expect(net.cancels.map((c) => c.t)).toEqual([50]);
    expect([...r.results[0]!.state]).toEqual([Code.Closed, Code.Unprobed]);
    expect([...r.results[0]!.attempts]).toEqual([1, 0]);
  });

  it('reports progress once per tick and once at the end', async () => {
    const seen: number[] = [];
    const script: Script = (_ip, port) => (port === 3 ? 'drop' : closed(1));
    const { run } = shard([host([1, 2, 3])], settings({ retries: 0 }), script, { onProgress: (n) => seen.push(n) });
    await run();
    // The answers give an RTT sample, so the dropped probe times out at the 100 ms floor:
    // ticks at 10 … 100 ms, and the end.
    expect(seen.length).toBe(11);
    expect(seen[0]).toBe(2);
    expect(seen.at(-1)).toBe(3);
  });
});
