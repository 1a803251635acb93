// How the collector protects its SMTP password, through the real path: a collector (its config,
// its report service, nodemailer) asked by `portdrift report --send` to mail a report to a real
// SMTP server on loopback that records every AUTH it receives and whether TLS was up by then.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestCollector } from '../collector/harness.js';
import { run } from '../cli/run.js';
import { startSink } from './smtp-sink.js';

const LOOP = '127.0.0.1';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const report = { reportTo: ['ops@example.com'], reportEvery: '24h', reportScope: 'test' };

describe('SMTP credentials are not sent in clear unless the URL says so', () => {
  it('refuses AUTH where no STARTTLS is offered: PD_SMTP says why, and no AUTH reaches the server', async () => {
    const sink = await startSink({ auth: { user: 'reports', pass: 's3cret' } });
    const c = await startTestCollector({ smtp: `smtp://reports:s3cret@${LOOP}:${sink.port}`, ...report });
    try {
      const r = await run(['report', '--send', '--collector', c.url, '--token', c.tokens.admin], c.dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/the server offers no STARTTLS; refusing to send the password in clear; /);
      expect(r.err).toMatch(/; use smtps:\/\/, a server with STARTTLS, or \?starttls=off/);
      expect(r.err).toMatch(/\[PD_SMTP\]\n$/);
      expect(r.err).not.toContain('s3cret');
      expect(sink.auths).toEqual([]);
      expect(sink.messages).toEqual([]);
    } finally {
      await c.stop();
      await sink.close();
    }
  });

  it('sends in clear only when the URL says ?starttls=off', async () => {
    const sink = await startSink({ auth: { user: 'reports', pass: 's3cret' } });
    const c = await startTestCollector({ smtp: `smtp://reports:s3cret@${LOOP}:${sink.port}?starttls=off`, ...report });
    try {
      const r = await run(['report', '--send', '--collector', c.url, '--token', c.tokens.admin], c.dir);
      expect(r.code, r.err).toBe(0);
      await sink.received(1);
      expect(sink.auths).toEqual([{ user: 'reports', secure: false }]);
    } finally {
      await c.stop();
      await sink.close();
    }
  });

  const openssl = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));
  it.skipIf(!openssl)('with credentials and STARTTLS on offer, upgrades before AUTH with no URL option', async () => {
    const d = mkdtempSync(join(tmpdir(), 'pd-smtpsec-'));
    dirs.push(d);
    const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'];
    execFileSync(openssl!, [...args, '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem')], { stdio: 'pipe' });
    const tls = { key: readFileSync(join(d, 'key.pem'), 'utf8'), cert: readFileSync(join(d, 'cert.pem'), 'utf8') };
    const sink = await startSink({ auth: { user: 'reports', pass: 's3cret' }, tls });
    const smtp = `smtp://reports:s3cret@localhost:${sink.port}`;
    const c = await startTestCollector({ smtp, smtpCa: join(d, 'cert.pem'), ...report });
    try {
      const r = await run(['report', '--send', '--collector', c.url, '--token', c.tokens.admin], c.dir);
      expect(r.code, r.err).toBe(0);
      await sink.received(1);
      expect(sink.auths).toEqual([{ user: 'reports', secure: true }]);
      expect(sink.secured).toEqual([true]);
    } finally {
      await c.stop();
      await sink.close();
    }
  });
});
