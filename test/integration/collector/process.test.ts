// The collector as an operator runs it: a child process with a config file and flags over it,
// https with a certificate, SIGHUP reloading the IaC, SIGTERM exiting 0; and bad configuration
// reported as every problem at once, exit 1.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../collector/store/sqlite.js';
import { run } from '../cli/run.js';
import { BUILT, spawnCollector } from './child.js';
import { MAIN_TF, writeIac } from './harness.js';

const openssl = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

function httpsGet(url: string, token: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, ca, agent: new Agent({ ca }) }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('collector configuration', () => {
  it('reports every problem of flags and file at once, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-cfg-'));
    try {
      writeFileSync(join(dir, 'c.yaml'), 'listen: nowhere\ncycles: 0\nbogus: 1\n');
      const r = await run(['collector', '--config', join(dir, 'c.yaml'), '--interval', 'soon'], dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/listen: must be HOST:PORT/);
      expect(r.err).toMatch(/cycles: must be at least 1/);
      expect(r.err).toMatch(/bogus: unknown key/);
      expect(r.err).toMatch(/interval: must be a duration/);
      expect(r.err).toMatch(/PD_CONFIG_INVALID/);
      const noIac = await run(['collector', '--data', join(dir, 'x.db')], dir);
      expect(noIac.err).toMatch(/iac: at least one IaC path is required/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf((!BUILT || !openssl) && !process.env.CI)(
  'collector process: https, SIGHUP, SIGTERM (needs `npm run build` and openssl)',
  () => {
    let dir: string;
    let token: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pd-proc-'));
      writeIac(dir);
      execFileSync(
        openssl!,
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'pipe' },
      );
      const s = new SqliteStore(join(dir, 'pd.db'));
      token = (await s.createToken({ name: 'agent-1', role: 'agent', now: new Date().toISOString() })).token;
      await s.close();
      // The file says one thing, the flag wins: --interval 1m over interval: 10m.
      writeFileSync(
        join(dir, 'collector.yaml'),
        `iac: [${join(dir, 'main.tf')}]\ntargets: ${join(dir, 'targets.yaml')}\ndata: ${join(dir, 'pd.db')}` +
          `\ntlsCert: ${join(dir, 'cert.pem')}\ntlsKey: ${join(dir, 'key.pem')}\ninterval: 10m\n`,
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('serves https, reloads on SIGHUP, stops on SIGTERM with exit 0', async () => {
      const child = await spawnCollector(['--config', join(dir, 'collector.yaml'), '--interval', '1m'], dir);
      try {
        expect(child.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        const ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
        const first = await httpsGet(`${child.url}/v1/plan`, token, ca);
        expect(first.status).toBe(200);
        const plan = JSON.parse(first.body);
        expect(plan.intervalMs).toBe(60_000);
        writeFileSync(join(dir, 'main.tf'), MAIN_TF.replace('5432', '5435'));
        child.proc.kill('SIGHUP');
        let declared: number[] = [];
        for (let i = 0; i < 50 && !declared.includes(5435); i++) {
          await new Promise((r) => setTimeout(r, 100));
          declared = JSON.parse((await httpsGet(`${child.url}/v1/plan`, token, ca)).body).targets.find(
            (t: { host: string }) => t.host === '127.0.0.1',
          ).declared;
        }
        expect(declared).toEqual([5435]);
      } finally {
        child.proc.kill('SIGTERM');
      }
      expect(await child.exited).toBe(0);
    });
  },
);
