// Hostile and broken services cost fingerprinting no more than its bounds, and never crash the
// agent: an endless banner, one byte a second, garbage after the TLS ClientHello, a reset
// mid-read, endless HTTP headers, a silent port. Each runs in a fresh namespace (hostile.mjs);
// the runner reports its bytes and time per port (driver.mjs), and `portdrift probe
// --fingerprint` finishes with exit 0 and a fingerprint for every port.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fingerprint } from '../../../shared/types.js';
import { createSoloLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { cli, requireBuild } from '../probe/cli.js';

const skip = labSkipReason();
const MODES = { endless: 22001, slow: 22002, garbage: 22003, reset: 22004, headers: 22005, silent: 22006 } as const;
const DEADLINE_MS = 1000;
/** Timer and scheduling slack on a loaded two-core machine. */
const SLACK_MS = 400;
const PORT_MAX_BYTES = 24_576;
/** One read beyond the cap can land before the attempt stops (reads are 1 KiB; TLS is polled). */
const READ_CHUNK = 1024;

interface Report {
  fingerprint: Fingerprint;
  attempts: number;
  bytes: number;
  ms: number;
}

describe.skipIf(skip)(`fingerprints of hostile services${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  beforeAll(async () => {
    requireBuild();
    lab = await createSoloLab();
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.client.name,
        process.execPath,
        join(import.meta.dirname, 'hostile.mjs'),
        ...Object.entries(MODES).map(([m, p]) => `${m}:${p}`),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('READY\n')) resolve();
      });
      child.stderr.on('data', (d) => void (err += d));
      child.on('exit', (code) => reject(new Error(`hostile.mjs exited ${code}: ${err}`)));
    });
  });
  afterAll(async () => {
    // The lab kills every process in its namespace (hostile.mjs included) by PID, then deletes it.
    await lab?.destroy();
  });

  async function drive(targets: object[], options: object): Promise<{ reports: Report[]; ms: number }> {
    const run = await lab.run(
      [process.execPath, join(import.meta.dirname, 'driver.mjs'), JSON.stringify(targets), JSON.stringify(options)],
      { timeoutMs: 30_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { reports: Report[]; ms: number };
  }

  const each = (expect?: string) =>
    Object.values(MODES).map((port) => ({ host: '127.0.0.1', ip: '127.0.0.1', port, ...(expect ? { expect } : {}) }));

  it('default settings, no hint and each protocol expected: every port within its deadline and read caps', async () => {
    const targets = [...each(), ...each('tls'), ...each('http'), ...each('ssh'), ...each('postgres')];
    const { reports, ms } = await drive(targets, { concurrency: targets.length, perAddress: targets.length });
    reports.forEach((r, i) => {
      const t = targets[i]!;
      expect(r.ms, `port ${t.port} expect ${t.expect ?? '-'}: ${JSON.stringify(r)}`).toBeLessThanOrEqual(
        DEADLINE_MS + SLACK_MS,
      );
      // Each attempt reads at most its cap, the port at most its budget (plus one read each).
      expect(r.bytes, `port ${t.port} expect ${t.expect ?? '-'}: ${JSON.stringify(r)}`).toBeLessThanOrEqual(
        PORT_MAX_BYTES + READ_CHUNK,
      );
    });
    // All ports in parallel: the whole pass is one deadline, not one per port.
    expect(ms).toBeLessThanOrEqual(DEADLINE_MS + 2 * SLACK_MS);
    const byPort = (port: number) =>
      reports.filter((_, i) => targets[i]!.port === port).map((r) => r.fingerprint.service);
    // Endless headers are still an HTTP answer; a silent port is nothing recognisable.
    expect(byPort(MODES.headers)).toContain('http');
    expect(new Set(byPort(MODES.silent))).toEqual(new Set(['unknown']));
    expect(new Set(byPort(MODES.garbage))).toEqual(new Set(['unknown']));
  });

  it('with waits longer than the deadline, the deadline still ends every port', async () => {
    const targets = [...each(), ...each('tls')];
    const { reports } = await drive(targets, {
      concurrency: targets.length,
      perAddress: targets.length,
      attemptTimeoutMs: 30_000,
      guessTimeoutMs: 30_000,
      bannerWaitMs: 30_000,
    });
    for (const r of reports) expect(r.ms, JSON.stringify(r)).toBeLessThanOrEqual(DEADLINE_MS + SLACK_MS);
    // One byte a second over a one-second deadline: at most a couple of bytes read.
    expect(reports[1]!.bytes).toBeLessThanOrEqual(3);
  });

  it('a small read cap holds against the endless banner and the endless headers', async () => {
    const targets = [MODES.endless, MODES.headers].map((port) => ({
      host: '127.0.0.1',
      ip: '127.0.0.1',
      port,
      expect: 'http',
    }));
    const { reports } = await drive(targets, { maxBytes: 256, tlsMaxBytes: 1024 });
    for (const r of reports) expect(r.bytes, JSON.stringify(r)).toBeLessThanOrEqual(r.attempts * (1024 + READ_CHUNK));
    expect(reports[1]!.fingerprint).toMatchObject({ service: 'http', detail: 'HTTP/1.1 200 OK' });
  });

  it('the TLS handshake reads no more than its cap from a flood after the ClientHello', async () => {
    const target = { host: '127.0.0.1', ip: '127.0.0.1', port: MODES.garbage, expect: 'tls' };
    // Only the TLS attempt, by a deadline shorter than a second attempt would need to start.
    const { reports } = await drive([target], { tlsMaxBytes: 2048, portMaxBytes: 2048 + 64 });
    const r = reports[0]!;
    expect(r.attempts, JSON.stringify(r)).toBe(1);
    expect(r.fingerprint.service).toBe('unknown');
    expect(r.bytes, JSON.stringify(r)).toBeLessThanOrEqual(2048 + READ_CHUNK);
  });

  it('portdrift probe --fingerprint over all of them exits 0 with a fingerprint for each open port', async () => {
    const started = performance.now();
    const run = await cli(lab, [
      'probe',
      '127.0.0.1',
      '--ports',
      Object.values(MODES).join(','),
      '--fingerprint',
      '--format',
      'json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const results = JSON.parse(run.stdout).results as { port: number; state: string; fingerprint?: Fingerprint }[];
    expect(results.map((r) => [r.port, r.state])).toEqual(Object.values(MODES).map((p) => [p, 'open']));
    for (const r of results) expect(typeof r.fingerprint?.service).toBe('string');
    // Six ports, four at a time per address: two rounds of at most a deadline each, plus start-up.
    expect(performance.now() - started).toBeLessThan(2 * DEADLINE_MS + 3000);
  });
});
