// The engine on real loopback sockets: states, retries, order, fairness, self-connects, local
// errors, abort, and verdicts that survive a blocked event loop.
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusOf } from '../../../../agent/probe/classify.js';
import type { ConnectorFactory } from '../../../../agent/probe/connector.js';
import { isSelfConnect } from '../../../../agent/probe/connector.js';
import { Code, runShard } from '../../../../agent/probe/engine.js';
import { netConnectorFactory } from '../../../../agent/probe/net-connector.js';
import { rawConnectorFactory } from '../../../../agent/probe/raw-connector.js';
import { closedPorts, filteredPort, havePython, openPort } from './loopback.js';
import { host, settings } from './settings.js';

const raw = rawConnectorFactory();

/** Wraps a real connector and records every start (ip, port) in order. */
function recording(factory: ConnectorFactory, log: string[]): ConnectorFactory {
  return (slots, done) => {
    const inner = factory(slots, done);
    return {
      kind: inner.kind,
      cancel: (s) => inner.cancel(s),
      start: (slot, ip, family, port) => (log.push(`${ip}:${port}`), inner.start(slot, ip, family, port)),
    };
  };
}

let open: Awaited<ReturnType<typeof openPort>>;
let closed: number[];
beforeAll(async () => {
  open = await openPort();
  closed = await closedPorts(6);
});
afterAll(() => open.close());

describe('runShard on loopback', () => {
  it('has the raw tcp_wrap connector on this node', () => {
    expect(raw).not.toBeNull();
  });

  for (const [name, factory] of [
    ['raw', raw!],
    ['net', netConnectorFactory],
  ] as const) {
    it(`${name} connector: open and closed with RTTs, one attempt each; closed is never retried`, async () => {
      const { results, stats } = await runShard([host([open.port, ...closed])], settings(), factory);
      const r = results[0]!;
      expect([...r.state]).toEqual([Code.Open, ...closed.map(() => Code.Closed)]);
      expect([...r.attempts]).toEqual([1, ...closed.map(() => 1)]);
      for (const rtt of r.rtt) expect(rtt).toBeGreaterThanOrEqual(0);
      expect(stats.started).toBe(1 + closed.length);
    });
  }

  it.skipIf(!havePython)('a dropped SYN is filtered after 1 + retries tries, and kept apart from closed', async () => {
    const f = await filteredPort();
    try {
      const { results } = await runShard(
        [host([f.port, closed[0]!])],
        settings({ timeoutCapMs: 200, retries: 1 }),
        raw!,
      );
      expect([...results[0]!.state]).toEqual([Code.Filtered, Code.Closed]);
      expect(results[0]!.attempts[0]).toBe(2);
      expect(Number.isNaN(results[0]!.rtt[0]!)).toBe(true);
      const none = await runShard([host([f.port])], settings({ timeoutCapMs: 100, retries: 0 }), raw!);
      expect(none.results[0]!.attempts[0]).toBe(1);
    } finally {
      f.stop();
    }
  });

  it.skipIf(!havePython)(
    'where a retry pays off (a lost SYN), the address gets the full retry depth, also for probes already out of tries',
    async () => {
      const f = await filteredPort();
      try {
        // The first try of each closed port is "lost": started but never sent, so it times out.
        const lost = new Set(closed.slice(0, 2));
        const lossy: ConnectorFactory = (slots, done) => {
          const inner = raw!(slots, done);
          return {
            kind: inner.kind,
            cancel: (slot) => inner.cancel(slot),
            start: (slot, ip, family, port) => (lost.delete(port) ? 0 : inner.start(slot, ip, family, port)),
          };
        };
        const { results } = await runShard(
          [host([f.port, closed[0]!, closed[1]!])],
          settings({ timeoutCapMs: 150, timeoutFloorMs: 150, retries: 1 }),
          lossy,
        );
        expect([...results[0]!.state]).toEqual([Code.Filtered, Code.Closed, Code.Closed]);
        expect([...results[0]!.attempts]).toEqual([4, 2, 2]);
        // Without loss, a filtered port gets 1 + retries tries only.
        const clean = await runShard(
          [host([f.port, closed[0]!])],
          settings({ timeoutCapMs: 150, timeoutFloorMs: 150, retries: 1 }),
          raw!,
        );
        expect([...clean.results[0]!.attempts]).toEqual([2, 1]);
      } finally {
        f.stop();
      }
    },
  );

  it('probes declared ports first and deals the window round-robin across addresses', async () => {
    const log: string[] = [];
    const a = await closedPorts(4, '127.0.0.1');
    const b = await closedPorts(4, '127.0.0.2');
    await runShard(
      [host(a, '127.0.0.1'), host(b, '127.0.0.2')],
      settings({ window: 1, cwndInit: 1, cwndMax: 1, cwndMin: 1 }),
      recording(raw!, log),
    );
    expect(log).toEqual(a.flatMap((p, i) => [`127.0.0.1:${p}`, `127.0.0.2:${b[i]}`]));
  });

  it('answers that arrive while the loop is blocked win over the timer (verdicts after setImmediate)', async () => {
    const ports = Array.from({ length: 50 }, () => open.port);
    const run = runShard([host(ports)], settings({ timeoutCapMs: 20, timeoutFloorMs: 20, retries: 0 }), raw!);
    const until = performance.now() + 300;
    while (performance.now() < until); // a busy loop far past every probe's timeout
    const { results } = await run;
    expect([...results[0]!.state].every((s) => s === Code.Open)).toBe(true);
  });

  it('shards sharing an address claim disjoint chunks of it and write one set of results', async () => {
    const ports = [...closed, open.port];
    const shared = host(Array.from({ length: 300 }, (_, i) => ports[i % ports.length]!));
    const [one, two] = await Promise.all([runShard([shared], settings(), raw!), runShard([shared], settings(), raw!)]);
    expect(one.stats.started + two.stats.started).toBe(300);
    expect(one.stats.started).toBeGreaterThan(0);
    expect(two.stats.started).toBeGreaterThan(0);
    expect(
      [...shared.state].every((s, i) => s === (ports[i % ports.length] === open.port ? Code.Open : Code.Closed)),
    ).toBe(true);
    expect([...shared.attempts].every((a) => a === 1)).toBe(true);
  });

  it('a self-connect is not an open port: the probe is made again and no try is counted', async () => {
    // The kernel event itself, for real: a socket bound to port P connecting to P connects to itself.
    const [p] = await closedPorts(1);
    const self = new Socket();
    await new Promise<void>((resolve, reject) =>
      self
        .once('error', reject)
        .connect({ host: '127.0.0.1', port: p!, localAddress: '127.0.0.1', localPort: p! }, resolve),
    );
    expect(isSelfConnect(self.localAddress, self.localPort, '127.0.0.1', p!)).toBe(true);
    self.destroy();

    // The engine's handling: the first completion for the closed port is reported as a self-connect.
    let injected = false;
    const selfOnce: ConnectorFactory = (slots, done) =>
      raw!(slots, (slot, status, sc) => {
        if (!injected) {
          injected = true;
          return done(slot, 0, true);
        }
        done(slot, status, sc);
      });
    const { results, stats } = await runShard([host([closed[1]!])], settings(), selfOnce);
    expect(stats.selfConnects).toBe(1);
    expect(results[0]!.state[0]).toBe(Code.Closed);
    expect(results[0]!.attempts[0]).toBe(1);
  });

  it('a local error (EMFILE at connect) is requeued after shrinking the window, never a port state', async () => {
    let failures = 3;
    const emfile: ConnectorFactory = (slots, done) => {
      const inner = raw!(slots, done);
      return {
        kind: inner.kind,
        cancel: (s) => inner.cancel(s),
        start: (slot, ip, family, port) => (failures-- > 0 ? statusOf('EMFILE') : inner.start(slot, ip, family, port)),
      };
    };
    const { results, stats } = await runShard([host([open.port, ...closed])], settings({ window: 16 }), emfile);
    expect(stats.localErrors).toBe(3);
    expect(stats.smallestWindow).toBeLessThan(16);
    expect([...results[0]!.state]).toEqual([Code.Open, ...closed.map(() => Code.Closed)]);
    expect([...results[0]!.attempts].every((a) => a === 1)).toBe(true);
  });

  it('EINVAL (an address that cannot be used from here) stops that address and says why', async () => {
    // The kernel answers EINVAL at connect for an IPv6 link-local address without a zone; how soon
    // Node reports it differs by version, and no test may aim at a non-loopback address, so a
    // loopback address stands in for it and the connector answers as the kernel would.
    const einval: ConnectorFactory = (slots, done) => {
      const inner = raw!(slots, done);
      return {
        kind: inner.kind,
        cancel: (s) => inner.cancel(s),
        start: (slot, ip, family, port) => (ip === '::1' ? statusOf('EINVAL') : inner.start(slot, ip, family, port)),
      };
    };
    const { results } = await runShard([host([80, 81], '::1'), host([closed[2]!])], settings(), einval);
    expect([...results[0]!.state]).toEqual([Code.Unprobed, Code.Unprobed]);
    expect(results[0]!.error).toMatch(/^EINVAL: ::1 cannot be probed/);
    expect(results[1]!.state[0]).toBe(Code.Closed);
  });

  it.skipIf(!havePython)(
    'abort stops at once: what was answered is kept, what was in flight is not a result',
    async () => {
      const f = await filteredPort();
      try {
        const ac = new AbortController();
        const t0 = performance.now();
        setTimeout(() => ac.abort(), 150);
        const { results, stats } = await runShard(
          [host([closed[3]!, f.port])],
          settings({ timeoutCapMs: 10_000, timeoutFloorMs: 10_000 }),
          raw!,
          { signal: ac.signal },
        );
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(stats.aborted).toBe(true);
        expect([...results[0]!.state]).toEqual([Code.Closed, Code.Unprobed]);
        expect(results[0]!.attempts[1]).toBe(0);
      } finally {
        f.stop();
      }
    },
  );
});
