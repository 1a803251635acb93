// `portdrift probe --fingerprint` against real daemons (redis, memcached, nginx for HTTP and
// TLS, OpenSSH, PostgreSQL), each on a port the test chooses, bound to loopback in a fresh
// network namespace: every one named right, without a hint (ports no convention names) and with
// `--expect`, where the expected service costs a single connection. A daemon that is not
// installed here is skipped with its name; CI installs them (.ci/run).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fingerprint } from '../../../shared/types.js';
import { Daemons, findBinary, initPostgres, selfSigned, sshHostKey, userExists } from '../../lab/daemons.mjs';
import { createSoloLab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { cli, requireBuild } from '../probe/cli.js';

const skip = labSkipReason();
const bins = {
  redis: findBinary('redis-server'),
  memcached: findBinary('memcached'),
  nginx: findBinary('nginx'),
  sshd: findBinary('sshd'),
  postgres: findBinary('postgres'),
  initdb: findBinary('initdb'),
  openssl: findBinary('openssl'),
};
const missing = (names: (keyof typeof bins)[]): string | false => {
  const m = names.filter((n) => bins[n] === null);
  return m.length ? `${m.join(', ')} not installed here` : false;
};
const skipNote = (names: (keyof typeof bins)[]): string => (missing(names) ? ` (skipped: ${missing(names)})` : '');
const pgSkip = missing(['postgres', 'initdb']) || (userExists('postgres') ? false : 'no postgres user');

const PORTS = {
  redis: 21379,
  redisAuth: 21380,
  memcached: 21211,
  http: 21080,
  tls: 21443,
  ssh: 21022,
  postgres: 21432,
};
const CN = 'orders.lab.test';
const SANS = [`DNS:${CN}`, 'DNS:orders', 'IP:127.0.0.1'];

interface Result {
  port: number;
  state: string;
  fingerprint?: Fingerprint;
}
interface DriverReport {
  fingerprint: Fingerprint;
  attempts: number;
  bytes: number;
  ms: number;
}

describe.skipIf(skip)(`fingerprints of real daemons${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let daemons: Daemons;
  const started: number[] = [];
  const byPort = new Map<number, Result>();
  let table = '';
  let nginxVersion = '';
  const certDays = 30;

  beforeAll(async () => {
    requireBuild();
    const lab = await createSoloLab();
    daemons = new Daemons(lab);
    if (bins.redis) {
      daemons.redis(bins.redis, { port: PORTS.redis });
      daemons.redis(bins.redis, { port: PORTS.redisAuth, extra: ['--requirepass', 'lab-secret'] });
      started.push(PORTS.redis, PORTS.redisAuth);
    }
    if (bins.memcached) {
      daemons.memcached(bins.memcached, { port: PORTS.memcached });
      started.push(PORTS.memcached);
    }
    if (bins.nginx && bins.openssl) {
      const dir = daemons.tempDir('nginx');
      const tls = { listen: `127.0.0.1:${PORTS.tls}`, ...selfSigned(dir, CN, SANS) };
      daemons.nginx(bins.nginx, dir, { http: [`127.0.0.1:${PORTS.http}`], tls });
      nginxVersion = /nginx\/(\S+)/.exec(spawnSync(bins.nginx, ['-v'], { encoding: 'utf8' }).stderr)?.[1] ?? '';
      started.push(PORTS.http, PORTS.tls);
    }
    if (bins.sshd) {
      daemons.sshd(bins.sshd, { port: PORTS.ssh, hostKey: sshHostKey(daemons.tempDir('sshd')) });
      started.push(PORTS.ssh);
    }
    if (!pgSkip) {
      const dir = daemons.tempDir('pg');
      daemons.postgres(bins.postgres!, { data: initPostgres(dir, bins.initdb!), port: PORTS.postgres, socketDir: dir });
      started.push(PORTS.postgres);
    }
    await daemons.ready(started);

    const run = await cli(lab, [
      'probe',
      '127.0.0.1',
      '--ports',
      Object.values(PORTS).join(','),
      '--fingerprint',
      '--format',
      'json',
    ]);
    if (run.code !== 0) throw new Error(`probe exited ${run.code}: ${run.stderr}`);
    for (const r of JSON.parse(run.stdout).results as Result[]) byPort.set(r.port, r);
    const t = await cli(lab, [
      'probe',
      '127.0.0.1',
      '--ports',
      Object.values(PORTS).join(','),
      '--fingerprint',
      '--format',
      'table',
    ]);
    table = t.stdout;
  }, 180_000);
  afterAll(async () => {
    await daemons?.stop();
  });

  const fp = (port: number): Fingerprint | undefined => byPort.get(port)?.fingerprint;

  it.skipIf(missing(['redis']))(`redis: PONG, and NOAUTH with a password${skipNote(['redis'])}`, () => {
    expect(fp(PORTS.redis)).toEqual({ service: 'redis', detail: 'PING answered +PONG' });
    expect(fp(PORTS.redisAuth)).toEqual({ service: 'redis', detail: 'authentication required' });
  });

  it.skipIf(missing(['memcached']))(`memcached with its version${skipNote(['memcached'])}`, () => {
    expect(fp(PORTS.memcached)?.service).toBe('memcached');
  });

  it.skipIf(missing(['nginx', 'openssl']))(
    `nginx: http with Server: nginx, tls with its certificate's subject, SANs, expiry${skipNote(['nginx', 'openssl'])}`,
    () => {
      expect(fp(PORTS.http)).toMatchObject({ service: 'http', product: 'nginx', version: nginxVersion });
      expect(fp(PORTS.http)?.detail).toMatch(/^HTTP\/1\.1 200 OK; Server: nginx\//);
      const tls = fp(PORTS.tls);
      expect(tls?.service).toBe('tls');
      expect(tls?.tls).toMatchObject({
        subject: `CN=${CN}, O=portdrift lab`,
        issuer: `CN=${CN}, O=portdrift lab`,
        sans: SANS,
        selfSigned: true,
        alpn: 'http/1.1',
      });
      expect(tls?.tls?.hostMatch).toBeUndefined(); // probed by IP: no name to check
      const days = (Date.parse(tls!.tls!.notAfter) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(certDays - 1);
      expect(days).toBeLessThanOrEqual(certDays);
      expect(table).toMatch(new RegExp(`${PORTS.http}\\s+open .*http nginx/${nginxVersion.replace(/\./g, '\\.')}`));
      expect(table).toMatch(
        new RegExp(
          `${PORTS.tls}\\s+open .*tls CN=${CN.replace(/\./g, '\\.')} self-signed expires \\d{4}-\\d\\d-\\d\\d`,
        ),
      );
      expect(table.split('\n')[0]).toMatch(/SERVICE$/);
    },
  );

  it.skipIf(missing(['sshd']))(`OpenSSH by its version banner${skipNote(['sshd'])}`, () => {
    expect(fp(PORTS.ssh)).toMatchObject({ service: 'ssh', product: 'OpenSSH' });
    expect(fp(PORTS.ssh)?.detail).toMatch(/^SSH-2\.0-OpenSSH_/);
  });

  it.skipIf(pgSkip)(`postgres by its SSLRequest answer${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
    expect(fp(PORTS.postgres)).toEqual({ service: 'postgres', detail: 'no TLS (SSLRequest answered N)' });
  });

  it('the expected service costs one connection; a wrong expectation still ends right', async () => {
    const lab = daemons.lab;
    const expected: [number, string][] = [
      [PORTS.redis, 'redis'],
      [PORTS.memcached, 'memcached'],
      [PORTS.http, 'http'],
      [PORTS.tls, 'tls'],
      [PORTS.ssh, 'ssh'],
      [PORTS.postgres, 'postgres'],
    ];
    const live = expected.filter(([p]) => started.includes(p));
    const targets = live.map(([port, expect]) => ({ host: '127.0.0.1', ip: '127.0.0.1', port, expect }));
    // The same daemons expected as something else: the answer decides, in more attempts.
    const wrong = live.map(([port]) => ({
      host: '127.0.0.1',
      ip: '127.0.0.1',
      port,
      expect: port === PORTS.redis ? 'postgres' : 'redis',
    }));
    const run = await lab.run(
      [process.execPath, join(import.meta.dirname, 'driver.mjs'), JSON.stringify([...targets, ...wrong])],
      { timeoutMs: 30_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const reports = JSON.parse(run.stdout).reports as DriverReport[];
    live.forEach(([port, service], i) => {
      expect(reports[i]!.fingerprint.service, `port ${port}`).toBe(service);
      expect(reports[i]!.attempts, `port ${port}`).toBe(1);
      expect(reports[live.length + i]!.fingerprint.service, `port ${port} expected as another`).toBe(service);
      expect(reports[live.length + i]!.ms).toBeLessThan(1500);
    });
  });
});
