// probeTargets end to end on loopback: sweeps per (host, address), DNS once, admit, merging,
// the summary, options checked, and the worker-thread split (from the built dist/).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTargets } from '../../../../agent/probe/index.js';
import { shareSettings } from '../../../../agent/probe/threads.js';
import type { Address } from '../../../../agent/probe/resolve.js';
import { closedPorts, filteredPort, havePython, openPort } from './loopback.js';

let open: Awaited<ReturnType<typeof openPort>>;
let closed: number[];
beforeAll(async () => {
  open = await openPort();
  closed = await closedPorts(3);
});
afterAll(() => open.close());

const lookups: string[] = [];
const lookup = async (name: string): Promise<Address[]> => {
  lookups.push(name);
  if (name === 'db.test') return [{ ip: '127.0.0.1', family: 4 }];
  if (name === 'meta.test') return [{ ip: '169.254.169.254', family: 4 }];
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};

describe('probeTargets', () => {
  it('one sweep per host and address, results in port order, DNS once, a failed lookup as an error sweep', async () => {
    lookups.length = 0;
    const run = await probeTargets(
      [
        { host: 'db.test', declared: [open.port], discovery: [closed[1]!, closed[0]!] },
        { host: 'missing.test', declared: [80], discovery: [] },
        { host: '127.0.0.1', declared: [], discovery: [closed[2]!] },
        { host: 'db.test', declared: [], discovery: [closed[2]!] },
      ],
      { timeoutMs: 300 },
      lookup,
    );
    expect(lookups.sort()).toEqual(['db.test', 'missing.test']);
    expect(run.sweeps.map((s) => [s.host, s.ip])).toEqual([
      ['db.test', '127.0.0.1'],
      ['missing.test', null],
      ['127.0.0.1', '127.0.0.1'],
    ]);
    const db = run.sweeps[0]!;
    const want = [open.port, ...closed].sort((a, b) => a - b);
    expect(db.ports).toEqual(want);
    expect(db.results.map((r) => r.port)).toEqual(want);
    expect(db.results.map((r) => [r.host, r.ip, r.state])).toEqual(
      want.map((p) => ['db.test', '127.0.0.1', p === open.port ? 'open' : 'closed']),
    );
    expect(run.sweeps[1]).toEqual({
      host: 'missing.test',
      ip: null,
      error: 'DNS lookup of missing.test failed: ENOTFOUND',
      ports: [],
      results: [],
    });
    // 127.0.0.1 was probed once for both names: the literal's sweep has its own port only.
    expect(run.sweeps[2]!.results.map((r) => [r.host, r.port, r.state])).toEqual([['127.0.0.1', closed[2], 'closed']]);
    expect(run.summary).toMatchObject({ probes: 5, open: 1, closed: 4, filtered: 0, unreachable: 0 });
    expect(run.summary.seconds).toBeGreaterThan(0);
    expect(run.skipped).toEqual([]);
  });

  it('never probes an address that admit refuses; lists it as skipped', async () => {
    const run = await probeTargets(
      [
        { host: 'meta.test', declared: [80], discovery: [] },
        { host: '127.0.0.1', declared: [closed[0]!], discovery: [] },
      ],
      { admit: (ip) => (ip.startsWith('169.254.') ? 'link-local' : null) },
      lookup,
    );
    expect(run.skipped).toEqual([{ host: 'meta.test', ip: '169.254.169.254', reason: 'link-local' }]);
    expect(run.sweeps.map((s) => s.host)).toEqual(['127.0.0.1']);
  });

  it('closedResults: false leaves closed results out but still counts them and lists their ports', async () => {
    const run = await probeTargets([{ host: '127.0.0.1', declared: [open.port, ...closed], discovery: [] }], {
      closedResults: false,
    });
    expect(run.sweeps[0]!.results.map((r) => [r.port, r.state])).toEqual([[open.port, 'open']]);
    expect(run.sweeps[0]!.ports).toEqual([open.port, ...closed].sort((a, b) => a - b));
    expect(run.summary).toMatchObject({ probes: 4, open: 1, closed: 3 });
  });

  it('reports every bad option at once', async () => {
    await expect(probeTargets([], { concurrency: 0, retries: -1, timeoutMs: 1.5 })).rejects.toMatchObject({
      code: 'PD_USAGE',
      message: expect.stringMatching(/concurrency.*timeoutMs.*retries/),
    });
  });

  it('rejects targets with invalid ports, naming them', async () => {
    await expect(
      probeTargets([
        { host: '127.0.0.1', declared: [0, 80], discovery: [70000] },
        { host: '', declared: [], discovery: [] },
      ]),
    ).rejects.toMatchObject({
      code: 'PD_USAGE',
      message:
        'invalid probe targets: targets[0].declared: not ports: 0; targets[0].discovery: ' +
        'not ports: 70000; targets[1].host: must be a host name or address',
    });
  });

  it('many addresses: one sweep each, in the order given, every port answered', async () => {
    const hosts = Array.from({ length: 300 }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
    const run = await probeTargets(hosts.map((host) => ({ host, declared: [], discovery: closed })));
    expect(run.sweeps.map((s) => s.ip)).toEqual(hosts);
    expect(
      run.sweeps.every((s) => s.results.length === closed.length && s.results.every((r) => r.state === 'closed')),
    ).toBe(true);
    expect(run.summary).toMatchObject({ probes: 900, closed: 900 });
  });

  it('reports progress up to the total', async () => {
    const seen: [number, number][] = [];
    await probeTargets([{ host: '127.0.0.1', declared: closed, discovery: [] }], {
      onProgress: (d, t) => seen.push([d, t]),
    });
    expect(seen.at(-1)).toEqual([3, 3]);
  });

  it('an aborted run returns what it probed', async () => {
    const ac = new AbortController();
    ac.abort();
    const run = await probeTargets([{ host: '127.0.0.1', declared: closed, discovery: [] }], { signal: ac.signal });
    expect(run.sweeps[0]!.results).toEqual([]);
    expect(run.summary.probes).toBe(0);
  });
});

describe('two threads', () => {
  it('each gets its share of the window, of every congestion window and of the rate', () => {
    const s = {
      window: 4096,
      timeoutCapMs: 1000,
      timeoutFloorMs: 100,
      retries: 1,
      perHostRate: 1000,
      cwndInit: 64,
      cwndMin: 8,
      cwndMax: 4096,
    };
    expect(shareSettings(s, 2)).toEqual({
      ...s,
      window: 2048,
      perHostRate: 500,
      cwndInit: 32,
      cwndMin: 4,
      cwndMax: 2048,
    });
    expect(shareSettings({ ...s, window: 1, cwndMin: 1 }, 2)).toMatchObject({ window: 1, cwndMin: 1 });
    expect(shareSettings(s, 1)).toBe(s);
  });

  // The worker script exists only in the build; `npm test` builds first.
  const built = join(import.meta.dirname, '..', '..', '..', '..', 'dist', 'agent', 'probe', 'index.js');
  it.skipIf(!existsSync(built))('two threads give the same results as one (built dist/)', async () => {
    const dist = (await import(pathToFileURL(built).href)) as typeof import('../../../../agent/probe/index.js');
    const targets = [{ host: '127.0.0.1', declared: [open.port], discovery: [...closed, open.port] }];
    const one = await dist.probeTargets(targets, { threads: 1 });
    const two = await dist.probeTargets(targets, { threads: 2 });
    const strip = (r: typeof one) =>
      r.sweeps.map((s) => ({ ...s, results: s.results.map(({ rttMs: _r, ...x }) => x) }));
    expect(strip(two)).toEqual(strip(one));
    expect(two.summary.probes).toBe(4);
  });
});

describe('a real EMFILE', () => {
  const dist = join(import.meta.dirname, '..', '..', '..', '..', 'dist', 'agent', 'probe');
  // A child with `ulimit -n 64` and a window of 400: probes to a filtered port wait, the window
  // grows past the fds, connects fail with EMFILE. Every probe must still get its true state:
  // EMFILE is never "closed", and no probe is lost.
  it.skipIf(!existsSync(join(dist, 'engine.js')) || !havePython)(
    'with the fd limit far below the window every probe still gets its true state (built dist/)',
    async () => {
      const f = await filteredPort();
      try {
        const ports = await closedPorts(100);
        const script =
          `
        const { runShard } = await import(${JSON.stringify(pathToFileURL(join(dist, 'engine.js')).href)});
        const { newShardHost } = await import(${JSON.stringify(pathToFileURL(join(dist, 'hosts.js')).href)});
        const { rawConnectorFactory } = await import(` +
          `${JSON.stringify(pathToFileURL(join(dist, 'raw-connector.js')).href)});
        const [filtered, open, ...closed] = process.argv.slice(1).map(Number);
        const ports = Uint16Array.from([...Array(150).fill(filtered), open, ...closed]);
        const h = newShardHost('127.0.0.1', 4, ports);
 ` +
          `       const { stats } = await runShard([h], { window: 400, timeoutCapMs: 300, timeoutFloorMs: 300, ` +
          `retries: 0, perHostRate: 1e5, cwndInit: 400, cwndMin: 8, cwndMax: 400 }, rawConnectorFactory());
        console.log(JSON.stringify({ stats, state: [...h.state], attempts: [...h.attempts] }));`;
        const { execFileSync } = await import('node:child_process');
        const out = execFileSync(
          'sh',
          [
            '-c',
            'ulimit -n 64 && s="$1" && shift && exec "$0" --input-type=module -e "$s" "$@"',
            process.execPath,
            script,
            String(f.port),
            String(open.port),
            ...ports.map(String),
          ],
          { encoding: 'utf8' },
        );
        const r = JSON.parse(out) as {
          stats: { localErrors: number; smallestWindow: number };
          state: number[];
          attempts: number[];
        };
        expect(r.stats.localErrors).toBeGreaterThan(0);
        expect(r.stats.smallestWindow).toBeLessThan(64);
        expect(r.state).toEqual([...Array(150).fill(3), 1, ...ports.map(() => 2)]);
        expect(r.attempts.every((a) => a === 1)).toBe(true);
      } finally {
        f.stop();
      }
    },
  );
});
