// `portdrift probe` in-process through runCli with a captured CliContext, against listeners
// started here on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureCli } from '../../../cli-context.js';
import { runCli } from '../../../../cli/program.js';
import type { ProbeOutput } from '../../../../shared/types.js';
import { closedPorts, openPort } from './loopback.js';
import { rx } from '../../../rx.js';

async function run(argv: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  const cli = captureCli({ stdoutIsTTY: tty, stderrIsTTY: tty });
  const code = await runCli(['probe', ...argv], cli.ctx);
  return { code, out: cli.out(), err: cli.err() };
}

let a: Awaited<ReturnType<typeof openPort>>;
let b: Awaited<ReturnType<typeof openPort>>;
let closed: number[];
beforeAll(async () => {
  a = await openPort();
  b = await openPort();
  closed = await closedPorts(3);
});
afterAll(async () => {
  await a.close();
  await b.close();
});

describe('portdrift probe', () => {
  it(
    '--format json prints the probe output, version 1: ' + 'non-closed results in port order, summary over all; exit 0',
    async () => {
      const spec = [...closed, b.port, a.port].join(',');
      const r = await run(['127.0.0.1', '--ports', spec, '--format', 'json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.out) as ProbeOutput;
      expect(Object.keys(out)).toEqual(['version', 'results', 'summary']);
      expect(out.version).toBe(1);
      const opens = [a.port, b.port].sort((x, y) => x - y);
      expect(out.results.map((x) => Object.keys(x))).toEqual(
        opens.map(() => ['host', 'ip', 'port', 'state', 'rttMs', 'attempts']),
      );
      expect(out.results.map((x) => [x.host, x.ip, x.port, x.state, x.attempts])).toEqual(
        opens.map((p) => ['127.0.0.1', '127.0.0.1', p, 'open', 1]),
      );
      expect(out.results.every((x) => typeof x.rttMs === 'number')).toBe(true);
      expect(out.summary).toMatchObject({ probes: 5, open: 2, closed: 3, filtered: 0, unreachable: 0 });
      expect(Object.keys(out.summary)).toEqual(['probes', 'open', 'closed', 'filtered', 'unreachable', 'seconds']);
    },
  );

  it('--all lists closed results too; json is the default off a terminal, a table on one', async () => {
    const all = JSON.parse(
      (await run(['127.0.0.1', '--ports', [a.port, ...closed].join(','), '--all'])).out,
    ) as ProbeOutput;
    expect(all.results.map((x) => x.port)).toEqual([a.port, ...closed].sort((x, y) => x - y));
    const table = await run(['127.0.0.1', '--ports', [a.port, closed[0]].join(',')], true);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(
      rx(
        /^HOST +IP +PORT +STATE +RTT +TRIES\n/,
        /127\.0\.0\.1 +127\.0\.0\.1 +\d+ +open +[\d.]+ms +1\n/,
        /2 probes in [\d.]+s: 1 open, 1 closed, 0 filtered, 0 unreachable\n$/,
      ),
    );
  });

  it(
    'refuses cloud metadata and link-local addresses unless ' +
      '--allow-special lists them: exit 1, the rest still probed',
    async () => {
      const r = await run(['169.254.169.254', '127.0.0.1', '--ports', String(a.port), '--format', 'json']);
      expect(r.code).toBe(1);
      expect((JSON.parse(r.out) as ProbeOutput).results.map((x) => x.ip)).toEqual(['127.0.0.1']);
      expect(r.err).toBe(
        'portdrift: 169.254.169.254 (169.254.169.254) not probed: 169.254.169.254 is a cloud metadata ' +
          'address; list it explicitly to probe it (--allow-special 169.254.169.254/32) [PD_TARGET_REFUSED]\n',
      );
    },
  );

  it('rejects bad arguments all at once before probing: exit 1', async () => {
    const r = await run(['127.0.0.1', '--ports', '0-5', '--retries', '99', '--timeout', '5', '--concurrency', 'x']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('invalid port spec "0-5"');
    expect(r.err).toContain('--retries "99"');
    expect(r.err).toContain('invalid duration "5"');
    expect(r.err).toContain('--concurrency "x"');
    expect(r.err).toMatch(/\[PD_USAGE\]\n$/);
  });

  it(
    'a host written as host:port, [v6]:port or a URL is ' + 'a usage error saying what to write, not a DNS failure',
    async () => {
      const r = await run(['127.0.0.1:30001', 'http://127.0.0.1', '[::1]:30001', '--ports', '30001', '--timeout', 'x']);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toBe(
        'portdrift: host `127.0.0.1:30001` has a port: give the host alone (127.0.0.1), ports come from the IaC or ' +
          '--ports; host `http://127.0.0.1` is a URL: give the host alone; host `[::1]:30001` has a port: give ' +
          'the address alone (::1), ports come from the IaC or --ports; --timeout: ' +
          'invalid duration "x": expected e.g. 500ms, 30s, 5m, 1h [PD_USAGE]\n',
      );
    },
  );
});
