// How the collector protects its SMTP password, through the real path: a collector (its config,
// its report service, nodemailer) asked by `portdrift report --send` to mail a report to a real
// SMTP server on loopback that records every AUTH it receives and whether TLS was up by then.
// The password itself stays out of the command line: a file or the environment, checked on a
// collector child process as `ps` sees it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../collector/store/sqlite.js';
import { MAIN } from '../collector/child.js';
import { startTestCollector, writeIac } from '../collector/harness.js';
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

// ----- the password kept out of `ps` ------------------------------------------------------------

/** A collector as an operator runs it: `node dist/cli/main.js collector …` with its own environment. */
async function spawnCollector(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, [MAIN, 'collector', '--listen', `${LOOP}:0`, '--log-level', 'warn', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`collector did not start within 20 s:\n${err}`)), 20_000);
    const poll = setInterval(() => {
      const m = /listening on (\S+)/.exec(err);
      if (!m) return;
      clearInterval(poll);
      clearTimeout(timer);
      res(m[1]!);
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      rej(new Error(`collector exited with ${code} before listening:\n${err}`));
    });
  });
  return { proc, url, stderr: () => err, exited };
}

interface Child {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** A directory with the test IaC and a store holding one admin token. */
async function collectorDir(): Promise<{ dir: string; admin: string; base: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'pd-smtppw-'));
  dirs.push(dir);
  writeIac(dir);
  const s = new SqliteStore(join(dir, 'pd.db'));
  const admin = (await s.createToken({ name: 'admin-1', role: 'admin', now: new Date().toISOString() })).token;
  await s.close();
  const base = ['--iac', join(dir, 'main.tf'), '--targets', join(dir, 'targets.yaml'), '--data', join(dir, 'pd.db')];
  return { dir, admin, base: [...base, '--report-to', 'ops@example.com', '--report-scope', 'test'] };
}

async function sendAndStop(child: Child, admin: string, dir: string): Promise<{ code: number; err: string }> {
  try {
    const r = await run(['report', '--send', '--collector', child.url, '--token', admin], dir);
    return { code: r.code, err: r.err };
  } finally {
    child.proc.kill('SIGTERM');
    await child.exited;
  }
}

const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');

const BUILT = existsSync(MAIN);
describe.skipIf(!BUILT && !process.env.CI)('the SMTP password from a file or the environment (built CLI)', () => {
  it('takes PORTDRIFT_SMTP_PASSWORD from the environment: AUTH succeeds, the command line holds none', async () => {
    const sink = await startSink({ auth: { user: 'reports', pass: 'env-s3cret' } });
    const { dir, admin, base } = await collectorDir();
    try {
      const smtp = `smtp://reports@${LOOP}:${sink.port}?starttls=off`;
      const child = await spawnCollector([...base, '--smtp', smtp], dir, { PORTDRIFT_SMTP_PASSWORD: 'env-s3cret' });
      expect(cmdline(child.proc.pid!)).toContain(smtp);
      expect(cmdline(child.proc.pid!)).not.toContain('s3cret');
      const r = await sendAndStop(child, admin, dir);
      expect(r.code, r.err).toBe(0);
      await sink.received(1);
      expect(sink.auths).toEqual([{ user: 'reports', secure: false }]);
      expect(child.stderr()).not.toContain('s3cret');
    } finally {
      await sink.close();
    }
  });

  it('reads smtpPasswordFile at start (trailing newline trimmed); a password in the URL is warned about', async () => {
    const sink = await startSink({ auth: { user: 'reports', pass: 'file-s3cret' } });
    const { dir, admin, base } = await collectorDir();
    try {
      writeFileSync(join(dir, 'smtp-password'), 'file-s3cret\n', { mode: 0o600 });
      const smtp = `smtp://reports@${LOOP}:${sink.port}?starttls=off`;
      const child = await spawnCollector([...base, '--smtp', smtp, '--smtp-password-file', 'smtp-password'], dir);
      expect(cmdline(child.proc.pid!)).not.toContain('s3cret');
      const r = await sendAndStop(child, admin, dir);
      expect(r.code, r.err).toBe(0);
      await sink.received(1);
      expect(sink.auths).toEqual([{ user: 'reports', secure: false }]);
      expect(child.stderr()).not.toMatch(/carries a password/);

      // The password in the URL still works, with a warning that names the better places.
      const withPassword = `smtp://reports:file-s3cret@${LOOP}:${sink.port}?starttls=off`;
      const inUrl = await spawnCollector([...base, '--smtp', withPassword], dir);
      const again = await sendAndStop(inUrl, admin, dir);
      expect(again.code, again.err).toBe(0);
      await sink.received(2);
      const warning = inUrl
        .stderr()
        .split('\n')
        .find((l) => l.includes('carries a password'));
      const redacted = `smtp://reports:***@${LOOP}:${sink.port}?starttls=off`;
      expect(JSON.parse(warning!)).toMatchObject({ level: 40, smtp: redacted });
      expect(warning).toMatch(/smtpPasswordFile or PORTDRIFT_SMTP_PASSWORD/);
      expect(warning).not.toContain('s3cret');
    } finally {
      await sink.close();
    }
  });

  it('names the password file it cannot read, and refuses two sources of one password', async () => {
    const { dir, base } = await collectorDir();
    const smtp = `smtp://reports@${LOOP}:2525`;
    const missing = await run(['collector', ...base, '--smtp', smtp, '--smtp-password-file', 'nope/pw'], dir);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/smtpPasswordFile: cannot read nope\/pw: ENOENT.*\[PD_CONFIG_READ\]/);
    writeFileSync(join(dir, 'empty'), '\n');
    const empty = await run(['collector', ...base, '--smtp', smtp, '--smtp-password-file', 'empty'], dir);
    expect(empty.err).toMatch(/smtpPasswordFile: empty is empty/);
    const env = { PORTDRIFT_SMTP_PASSWORD: 'x' };
    const twice = ['--smtp', `smtp://u:y@${LOOP}:2525`, '--smtp-password-file', 'empty'];
    const both = await run(['collector', ...base, ...twice], dir, env);
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/smtpPasswordFile: give smtpPasswordFile or PORTDRIFT_SMTP_PASSWORD, not both/);
    expect(both.err).toMatch(/smtp: the URL carries a password and smtpPasswordFile gives one too/);
    const noUser = await run(['collector', ...base, '--smtp', `smtp://${LOOP}:2525`], dir, env);
    expect(noUser.err).toMatch(/smtp: PORTDRIFT_SMTP_PASSWORD gives a password but the URL names no user/);
    expect(noUser.code).toBe(1);
    const noPassword = await run(['collector', ...base, '--smtp', smtp], dir);
    expect(noPassword.err).toMatch(/smtp: the URL names the user reports but no password is given \(smtpPasswordFile/);
    expect(noPassword.code).toBe(1);
  });
});
