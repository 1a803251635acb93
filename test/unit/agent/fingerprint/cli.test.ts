// `portdrift probe --fingerprint` in-process (runCli with a captured context) against HTTP and
// TLS servers on loopback: the SERVICE column in the table, `fingerprint` on open results in
// json, --expect checked with every problem named, and no fingerprint at all without the flag.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../cli/program.js';
import { probeTargets } from '../../../../agent/probe/index.js';
import type { ProbeOutput } from '../../../../shared/types.js';
import { captureCli } from '../../../cli-context.js';
import { closedPorts } from '../probe/loopback.js';

async function run(argv: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  const cli = captureCli({ stdoutIsTTY: tty, stderrIsTTY: tty });
  const code = await runCli(['probe', ...argv], cli.ctx);
  return { code, out: cli.out(), err: cli.err() };
}

let server: Server;
let port: number;
let closed: number;
beforeAll(async () => {
  server = createServer((_, res) => res.setHeader('Server', 'lab/1.0').end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  [closed] = (await closedPorts(1)) as [number];
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('portdrift probe --fingerprint', () => {
  it('json: the open result carries its fingerprint; closed results none', async () => {
    const r = await run([
      '127.0.0.1',
      '--ports',
      `${port},${closed}`,
      '--all',
      '--fingerprint',
      '--expect',
      `${port}=http`,
      '--format',
      'json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as ProbeOutput;
    const open = out.results.find((x) => x.port === port)!;
    expect(open.fingerprint).toEqual({
      service: 'http',
      product: 'lab',
      version: '1.0',
      detail: 'HTTP/1.1 200 OK; Server: lab/1.0',
    });
    expect(Object.keys(out.results.find((x) => x.port === closed)!)).not.toContain('fingerprint');
  });

  it('table: a SERVICE column', async () => {
    const r = await run(['127.0.0.1', '--ports', String(port), '--fingerprint'], true);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      new RegExp(
        '^HOST +IP +PORT +STATE +RTT +TRIES +SERVICE\\n' +
          `127\\.0\\.0\\.1 +127\\.0\\.0\\.1 +${port} +open +[\\d.]+ms +1 +http lab/1\\.0\\n`,
      ),
    );
  });

  it('without --fingerprint nothing is fingerprinted and the output is as before', async () => {
    const r = await run(['127.0.0.1', '--ports', String(port), '--format', 'json']);
    expect(Object.keys((JSON.parse(r.out) as ProbeOutput).results[0]!)).toEqual([
      'host',
      'ip',
      'port',
      'state',
      'rttMs',
      'attempts',
    ]);
    const t = await run(['127.0.0.1', '--ports', String(port)], true);
    expect(t.out.split('\n')[0]).toMatch(/TRIES$/);
  });

  it('--expect: a bad value and a missing --fingerprint are named, every problem at once, exit 1', async () => {
    const bad = await run([
      '127.0.0.1',
      '--ports',
      '1',
      '--fingerprint',
      '--expect',
      '5432=oracle',
      '--expect',
      '70000=http',
      '--expect',
      'http',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--expect "5432=oracle"');
    expect(bad.err).toContain('--expect "70000=http"');
    expect(bad.err).toContain('--expect "http"');
    expect(bad.err).toContain('PD_USAGE');
    const alone = await run(['127.0.0.1', '--ports', '1', '--expect', '5432=postgresql']);
    expect(alone.code).toBe(1);
    expect(alone.err).toContain('--expect needs --fingerprint');
  });
});

describe('probeTargets fingerprint option', () => {
  it('checks expectations and fingerprint settings like every other option', async () => {
    await expect(
      probeTargets([{ host: '127.0.0.1', declared: [port], discovery: [], expect: { [port]: 'gopher' } }], {
        fingerprint: true,
      }),
    ).rejects.toThrow(/targets\[0\]\.expect\.\d+: unknown service "gopher"/);
    await expect(
      probeTargets([{ host: '127.0.0.1', declared: [port], discovery: [] }], {
        fingerprint: { deadlineMs: 0, concurrency: 5000 },
      }),
    ).rejects.toThrow(/fingerprint\.deadlineMs.*fingerprint\.concurrency/);
  });

  it('aliases name the hello to try first (postgresql, https, …)', async () => {
    const run1 = await probeTargets(
      [{ host: '127.0.0.1', declared: [port], discovery: [], expect: { [port]: 'HTTP' } }],
      { fingerprint: true },
    );
    expect(run1.sweeps[0]!.results[0]!.fingerprint?.service).toBe('http');
  });
});
