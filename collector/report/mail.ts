// The only file that imports nodemailer: SMTP delivery of a composed report. `smtp://` speaks
// plain SMTP and upgrades with STARTTLS when the server offers it; `smtps://` is TLS from the
// first byte (port 465). `?starttls=required` refuses to send without STARTTLS; `?starttls=off`
// never tries it. Credentials come from the URL's user info and are never logged or put into
// error messages.
import nodemailer from 'nodemailer';
import { PortdriftError } from '../../shared/errors.js';

export interface OutgoingMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  attachments: Array<{ filename: string; content: string; contentType: string }>;
}

export interface SmtpOptions {
  /** `smtp://user:pass@host:587`, `smtps://host:465`, optional `?starttls=required|off`. */
  url: string;
  /** Verify the server certificate (default true). `false` only for a private relay with a self-signed cert. */
  tlsVerify?: boolean;
  /** PEM CA bundle that signs the relay's certificate. */
  tlsCa?: string;
  timeoutMs?: number;
}

export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<SentMail>;
  close(): void;
}

/** The URL without its password, for logs and messages. */
export function redactSmtpUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid SMTP URL)';
  }
}

interface Transport {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  ignoreTLS: boolean;
  auth?: { user: string; pass: string };
}

export function parseSmtpUrl(url: string): Transport {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PortdriftError('PD_CONFIG_INVALID', `smtp: "${redactSmtpUrl(url)}" is not a URL (expected smtp://host:587 or smtps://host:465)`);
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new PortdriftError('PD_CONFIG_INVALID', `smtp: the scheme must be smtp:// or smtps://, got ${u.protocol}//`);
  if (!u.hostname) throw new PortdriftError('PD_CONFIG_INVALID', 'smtp: the URL names no host');
  const secure = u.protocol === 'smtps:';
  const starttls = u.searchParams.get('starttls') ?? 'auto';
  if (!['auto', 'required', 'off'].includes(starttls)) throw new PortdriftError('PD_CONFIG_INVALID', `smtp: starttls must be auto, required or off, got "${starttls}"`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    requireTLS: starttls === 'required',
    ignoreTLS: starttls === 'off',
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
  };
}

export function createMailer(options: SmtpOptions): Mailer {
  const t = parseSmtpUrl(options.url);
  const timeout = options.timeoutMs ?? 30_000;
  const transporter = nodemailer.createTransport({
    ...t,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    tls: { rejectUnauthorized: options.tlsVerify !== false, ...(options.tlsCa ? { ca: options.tlsCa } : {}) },
  });
  return {
    async send(mail) {
      try {
        const info = await transporter.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          // text before html: multipart/alternative puts the preferred (last) part last.
          text: mail.text,
          html: mail.html,
          headers: mail.headers,
          attachments: mail.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
        });
        const addr = (list: unknown): string[] => (Array.isArray(list) ? list.map((a) => (typeof a === 'string' ? a : String((a as { address?: string }).address))) : []);
        const accepted = addr(info.accepted);
        if (accepted.length === 0) throw new Error(`every recipient was rejected: ${addr(info.rejected).join(', ')}`);
        return { messageId: String(info.messageId), accepted, rejected: addr(info.rejected) };
      } catch (err) {
        const e = err as Error & { code?: string; responseCode?: number };
        const detail = [e.code, e.responseCode].filter(Boolean).join(' ');
        throw new PortdriftError('PD_SMTP', `sending the report via ${redactSmtpUrl(options.url)} failed${detail ? ` (${detail})` : ''}: ${e.message}`, { cause: err });
      }
    },
    close() {
      transporter.close();
    },
  };
}
