// Reports over real SMTP on loopback: nodemailer → smtp-server → mailparser, then the parts
// checked. Also the outbox: a report that cannot be sent is kept and delivered later.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMailer, parseSmtpUrl, redactSmtpUrl } from '../../../collector/report/mail.js';
import { Outbox, flushOutbox } from '../../../collector/report/outbox.js';
import { parseSchedule } from '../../../collector/report/schedule.js';
import { ReportService } from '../../../collector/report/service.js';
import { silentLogger } from '../../../shared/log.js';
import { NOW, reportData } from '../../fixtures/report-data.js';
import { startSink } from './smtp-sink.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'pd-mail-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const data = () => {
  const { since: _s, now: _n, ...rest } = reportData();
  return rest;
};

/** A loopback port with nothing listening on it (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('emailed reports over real SMTP', () => {
  it(
    'sends one multipart report with text, HTML, filter ' + 'headers and the JSON attached; the first is a baseline',
    async () => {
      const sink = await startSink({ auth: { user: 'reports', pass: 'p@ss word' } });
      try {
        const outbox = new Outbox(join(tmp(), 'outbox'));
        let now = Date.parse(NOW);
        const service = new ReportService({
          schedule: parseSchedule('every 24h'),
          from: 'portdrift <portdrift@example.com>',
          to: ['ops@example.com', 'sec@example.com'],
          outbox,
          // The sink offers no STARTTLS: sending the password in clear takes ?starttls=off.
          mailer: createMailer({ url: `smtp://reports:p%40ss%20word@127.0.0.1:${sink.port}?starttls=off` }),
          load: data,
          log: silentLogger(),
          now: () => now,
        });
        const first = await service.sendNow();
        expect(first.delivery).toEqual({ sent: 1, failed: 0, pending: 0 });
        await sink.received(1);
        const m = sink.messages[0]!;
        expect(m.subject).toBe('portdrift: baseline, 4 open, 1 agent late — prod');
        expect(m.headers.get('x-portdrift-report')).toBe('v1; scope=prod; baseline=yes');
        expect(m.headers.get('x-portdrift-severity')).toBe('high');
        expect(m.headerLines.find((l) => l.key === 'list-id')?.line).toMatch(
          /^List-Id: portdrift reports for prod <prod\.reports\.portdrift>$/i,
        );
        expect(m.to && !Array.isArray(m.to) ? m.to.value.map((a) => a.address) : []).toEqual([
          'ops@example.com',
          'sec@example.com',
        ]);
        expect(m.text!.replace(/\s+/g, ' ')).toContain(
          'Baseline: this is the first report of this installation. 4 existing drifts at baseline',
        );
        expect(m.html).toContain('<strong>Baseline.</strong>');
        // The text part arrives wrapped at 78 columns (the transfer encoding does not reflow it).
        expect(m.text!.split('\n').filter((l) => [...l].length > 78)).toEqual([]);
        expect(m.text).toContain('  [high] moved  aws_db_instance.orders\n      10.0.1.5:5432 → 5433  rds.tf:14\n');
        expect(m.html).toContain('aws_db_instance.orders');
        // text/plain first, then text/html, inside multipart/alternative, with the JSON beside it.
        const raw = sink.raw[0]!;
        expect(raw).toMatch(/Content-Type: multipart\/mixed/i);
        expect(raw).toMatch(/Content-Type: multipart\/alternative/i);
        expect(raw.search(/Content-Type: text\/plain/i)).toBeLessThan(raw.search(/Content-Type: text\/html/i));
        expect(m.attachments).toHaveLength(1);
        const att = m.attachments[0]!;
        expect(att.filename).toBe('portdrift-report-prod-2026-11-24.json');
        expect(att.contentType).toBe('application/json');
        expect(JSON.parse(att.content.toString('utf8'))).toMatchObject({
          version: 1,
          baseline: true,
          counts: { open: 4 },
        });

        // The second report covers the period since the first: deltas, not a baseline.
        now += 86_400_000;
        await service.sendNow();
        await sink.received(2);
        expect(sink.messages[1]!.subject).toMatch(/^portdrift: 4 open \(0 new\), 0 resolved, 2 agents late — prod$/);
        expect(sink.messages[1]!.headers.get('x-portdrift-report')).toBe('v1; scope=prod; baseline=no');
        expect(await outbox.list()).toEqual([]);
        service.stop();
      } finally {
        await sink.close();
      }
    },
  );

  it('marks reports Auto-Submitted and gives each period one stable Message-ID, also when re-sent', async () => {
    const sink = await startSink();
    try {
      const outbox = new Outbox(join(tmp(), 'outbox'));
      let now = Date.parse(NOW);
      const service = new ReportService({
        schedule: parseSchedule('every 24h'),
        from: 'portdrift <portdrift@Example.com>',
        to: ['ops@example.com'],
        outbox,
        mailer: createMailer({ url: `smtp://127.0.0.1:${sink.port}` }),
        load: data,
        log: silentLogger(),
        now: () => now,
      });
      await service.sendNow(); // the baseline, made at NOW
      now += 86_400_000;
      await service.sendNow(); // the period NOW → NOW + 24h
      // The state write of that report was lost (a crash right after sending): the same period
      // is made again, later, and must be the same message for mail clients.
      await outbox.writeState({ lastReportAt: new Date(Date.parse(NOW)).toISOString() });
      now += 300_000;
      await service.sendNow();
      await sink.received(3);
      const [baseline, period, again] = sink.messages;
      for (const m of sink.messages) expect(m.headers.get('auto-submitted')).toBe('auto-generated');
      expect(sink.raw[0]).toMatch(/^Auto-Submitted: auto-generated\r?$/m);
      expect(baseline!.messageId).toMatch(
        /^<portdrift\.report\.prod\.baseline-20261124T090000Z\.[0-9a-f]{12}@example\.com>$/,
      );
      expect(period!.messageId).toMatch(/^<portdrift\.report\.prod\.20261124T090000Z\.[0-9a-f]{12}@example\.com>$/);
      expect(again!.messageId).toBe(period!.messageId);
      expect(baseline!.messageId).not.toBe(period!.messageId);
      service.stop();
    } finally {
      await sink.close();
    }
  });

  it('keeps one outbox entry per period: a period made again replaces its pending report', async () => {
    const outbox = new Outbox(join(tmp(), 'outbox'));
    let now = Date.parse(NOW);
    const service = new ReportService({
      schedule: parseSchedule('every 24h'),
      from: 'portdrift@example.com',
      to: ['ops@example.com'],
      outbox,
      mailer: createMailer({ url: `smtp://127.0.0.1:${await deadPort()}`, timeoutMs: 2000 }),
      load: data,
      log: silentLogger(),
      now: () => now,
    });
    await outbox.writeState({ lastReportAt: '2026-11-23T09:00:00.000Z' });
    await service.sendNow();
    await outbox.writeState({ lastReportAt: '2026-11-23T09:00:00.000Z' });
    now += 600_000;
    await service.sendNow();
    const entries = await outbox.list();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.mail.subject).toMatch(/^portdrift: 4 open/);
    // The newer rendering replaced the older one: its JSON was made 10 minutes later.
    expect(JSON.parse(entries[0]!.mail.attachments[0]!.content)).toMatchObject({
      generatedAt: '2026-11-24T09:10:00.000Z',
    });
    service.stop();
  });

  it(
    'keeps a report that cannot be sent in the outbox, retries ' +
      'with backoff, and delivers it when the relay is back',
    async () => {
      const dir = join(tmp(), 'outbox');
      const outbox = new Outbox(dir);
      const port = await deadPort();
      let now = Date.parse(NOW);
      const service = new ReportService({
        schedule: parseSchedule('daily 08:00'),
        from: 'portdrift@example.com',
        to: ['ops@example.com'],
        outbox,
        mailer: createMailer({ url: `smtp://127.0.0.1:${port}`, timeoutMs: 2000 }),
        load: data,
        log: silentLogger(),
        now: () => now,
      });
      const r = await service.sendNow();
      expect(r.delivery).toEqual({
        sent: 0,
        failed: 1,
        pending: 1,
        lastError: expect.stringMatching(/failed \(ESOCKET\): connect ECONNREFUSED/),
      });
      const [entry] = await outbox.list();
      expect(entry).toMatchObject({ attempts: 1, nextAttemptAt: new Date(now + 60_000).toISOString() });
      expect(entry!.lastError).toMatch(/\[?ECONNREFUSED|connect/);
      expect(readdirSync(dir).sort()).toEqual([`${entry!.id}.json`, 'state.json']);
      service.stop();

      // Not due yet: nothing is tried.
      const sink = await startSink();
      try {
        const mailer = createMailer({ url: `smtp://127.0.0.1:${sink.port}` });
        expect(await flushOutbox(outbox, mailer, silentLogger(), { now: () => now + 1000 })).toEqual({
          sent: 0,
          failed: 0,
          pending: 1,
        });
        now += 61_000;
        expect(await flushOutbox(outbox, mailer, silentLogger(), { now: () => now })).toEqual({
          sent: 1,
          failed: 0,
          pending: 0,
        });
        await sink.received(1);
        expect(sink.messages[0]!.subject).toBe('portdrift: baseline, 4 open, 1 agent late — prod');
        expect(await outbox.list()).toEqual([]);
        mailer.close();
      } finally {
        await sink.close();
      }
    },
  );

  it('rejects bad credentials as PD_SMTP without the password in the message', async () => {
    const sink = await startSink({ auth: { user: 'u', pass: 'right' } });
    try {
      const mailer = createMailer({ url: `smtp://u:wrong-secret@127.0.0.1:${sink.port}?starttls=off` });
      const err = await mailer
        .send({
          from: 'a@example.com',
          to: ['b@example.com'],
          subject: 's',
          text: 't',
          html: '<p>t</p>',
          headers: {},
          attachments: [],
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PD_SMTP' });
      expect((err as Error).message).not.toContain('wrong-secret');
      expect((err as Error).message).toContain('smtp://u:***@127.0.0.1');
      mailer.close();
    } finally {
      await sink.close();
    }
  });

  it('without credentials, ?starttls=required still refuses a server that offers no STARTTLS, saying so', async () => {
    const sink = await startSink();
    try {
      const mailer = createMailer({ url: `smtp://127.0.0.1:${sink.port}?starttls=required` });
      const mail = { from: 'a@example.com', to: ['b@example.com'], subject: 's', text: 't', html: 't', headers: {} };
      const err = await mailer.send({ ...mail, attachments: [] }).catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ code: 'PD_SMTP' });
      expect((err as Error).message).toMatch(/no STARTTLS; the URL requires it \(\?starttls=required\); use smtps/);
      expect(sink.messages).toEqual([]);
      mailer.close();
    } finally {
      await sink.close();
    }
  });

  const openssl = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));
  it.skipIf(!openssl)('upgrades with STARTTLS (required) and authenticates over TLS', async () => {
    const d = tmp();
    execFileSync(
      openssl!,
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(d, 'key.pem'),
        '-out',
        join(d, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'pipe' },
    );
    const tls = { key: readFileSync(join(d, 'key.pem'), 'utf8'), cert: readFileSync(join(d, 'cert.pem'), 'utf8') };
    const sink = await startSink({ auth: { user: 'u', pass: 'p' }, tls });
    try {
      // Verification against the self-signed certificate given as the CA: no "insecure" switch needed.
      const mailer = createMailer({ url: `smtp://u:p@localhost:${sink.port}?starttls=required`, tlsCa: tls.cert });
      await mailer.send({
        from: 'a@example.com',
        to: ['b@example.com'],
        subject: 'over tls',
        text: 't',
        html: '<p>t</p>',
        headers: { 'X-Portdrift-Report': 'v1' },
        attachments: [],
      });
      await sink.received(1);
      expect(sink.secured[0]).toBe(true);
      expect(sink.messages[0]!.subject).toBe('over tls');
      mailer.close();
      // Without the CA the certificate is refused: the report is not sent in clear instead.
      const strict = createMailer({ url: `smtp://u:p@localhost:${sink.port}?starttls=required`, timeoutMs: 5000 });
      await expect(
        strict.send({
          from: 'a@example.com',
          to: ['b@example.com'],
          subject: 'x',
          text: 't',
          html: 't',
          headers: {},
          attachments: [],
        }),
      ).rejects.toMatchObject({ code: 'PD_SMTP' });
      strict.close();
    } finally {
      await sink.close();
    }
  });

  it('parses smtp and smtps URLs', () => {
    expect(parseSmtpUrl('smtps://mail.internal')).toMatchObject({
      host: 'mail.internal',
      port: 465,
      secure: true,
      requireTLS: false,
    });
    expect(parseSmtpUrl('smtp://a%40b:c%3Ad@mail:2525?starttls=off')).toMatchObject({
      port: 2525,
      secure: false,
      requireTLS: false,
      ignoreTLS: true,
      auth: { user: 'a@b', pass: 'c:d' },
    });
    // Credentials make STARTTLS required; without them it stays opportunistic; smtps is TLS already.
    expect(parseSmtpUrl('smtp://u:p@mail')).toMatchObject({ secure: false, requireTLS: true, ignoreTLS: false });
    expect(parseSmtpUrl('smtp://mail')).toMatchObject({ secure: false, requireTLS: false, ignoreTLS: false });
    expect(parseSmtpUrl('smtps://u:p@mail')).toMatchObject({ secure: true, requireTLS: false });
    const fromFile = parseSmtpUrl('smtp://u@mail', 'from-a-file');
    expect(fromFile).toMatchObject({ requireTLS: true, auth: { user: 'u', pass: 'from-a-file' } });
    expect(() => parseSmtpUrl('http://mail')).toThrow(/smtp:\/\/ or smtps:\/\//);
    expect(redactSmtpUrl('smtp://u:secret@h:25')).toBe('smtp://u:***@h:25');
  });
});
