// The only file that imports nodemailer: SMTP delivery of a composed report. `smtps://` is TLS
// from the first byte (port 465). `smtp://` without credentials speaks plain SMTP and upgrades
// with STARTTLS when the server offers it. `smtp://` with credentials requires STARTTLS: a
// server that offers none (or a man in the middle that strips the offer) would otherwise receive
// the password in clear, so the report is refused with PD_SMTP unless the URL says
// `?starttls=off` explicitly (a relay on the same host). `?starttls=required` also requires it
// without credentials. Credentials are never logged or put into error messages.
import nodemailer from 'nodemailer';
import { PortdriftError } from '../../shared/errors.js';
import { oneLine } from '../../shared/format/safe-text.js';

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
  /** The password when it does not come from the URL (a file or the environment): never in `ps`. */
  password?: string;
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

export function parseSmtpUrl(url: string, password?: string): Transport {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PortdriftError(
      'PD_CONFIG_INVALID',
      `smtp: "${redactSmtpUrl(url)}" is not a URL (expected smtp://host:587 or smtps://host:465)`,
    );
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
    throw new PortdriftError('PD_CONFIG_INVALID', `smtp: the scheme must be smtp:// or smtps://, got ${u.protocol}//`);
  if (!u.hostname) throw new PortdriftError('PD_CONFIG_INVALID', 'smtp: the URL names no host');
  const secure = u.protocol === 'smtps:';
  const starttls = u.searchParams.get('starttls') ?? 'auto';
  if (!['auto', 'required', 'off'].includes(starttls))
    throw new PortdriftError('PD_CONFIG_INVALID', `smtp: starttls must be auto, required or off, got "${starttls}"`);
  const user = decodeURIComponent(u.username);
  const auth = user ? { user, pass: password ?? decodeURIComponent(u.password) } : undefined;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    // With credentials, `auto` means required: opportunistic STARTTLS falls back to clear text
    // when the offer is missing, and AUTH PLAIN would then carry the password readable.
    requireTLS: starttls === 'required' || (starttls === 'auto' && auth !== undefined && !secure),
    ignoreTLS: starttls === 'off',
    ...(auth ? { auth } : {}),
  };
}

/**
 * Why a send failed, in words an operator can act on. A required STARTTLS that the server
 * refuses (nodemailer: ETLS on the STARTTLS command with the server's reply) means the server
 * offers no STARTTLS; a failed handshake keeps nodemailer's own words.
 */
function failureText(t: Transport, e: Error & { code?: string; command?: string; response?: string }): string {
  if (t.requireTLS && e.code === 'ETLS' && e.command === 'STARTTLS' && e.response) {
    const why = t.auth ? 'refusing to send the password in clear' : 'the URL requires it (?starttls=required)';
    const advice = 'use smtps://, a server with STARTTLS, or ?starttls=off';
    return `the server offers no STARTTLS; ${why}; ${advice} (server said: ${oneLine(e.response.trim())})`;
  }
  return e.message;
}

export function createMailer(options: SmtpOptions): Mailer {
  const t = parseSmtpUrl(options.url, options.password);
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
      // The Message-ID goes to nodemailer as its own option (else it makes a random one): a report
      // re-sent for its period must keep its id, so that mail clients show it once.
      const { 'Message-ID': messageId, ...headers } = mail.headers;
      try {
        const info = await transporter.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          // text before html: multipart/alternative puts the preferred (last) part last.
          text: mail.text,
          html: mail.html,
          headers,
          ...(messageId ? { messageId } : {}),
          attachments: mail.attachments.map((a) => ({
            filename: a.filename,
            content: a.content,
            contentType: a.contentType,
          })),
        });
        const addr = (list: unknown): string[] =>
          Array.isArray(list)
            ? list.map((a) => (typeof a === 'string' ? a : String((a as { address?: string }).address)))
            : [];
        const accepted = addr(info.accepted);
        if (accepted.length === 0) throw new Error(`every recipient was rejected: ${addr(info.rejected).join(', ')}`);
        return { messageId: String(info.messageId), accepted, rejected: addr(info.rejected) };
      } catch (err) {
        const e = err as Error & { code?: string; responseCode?: number; command?: string; response?: string };
        const detail = [e.code, e.responseCode].filter(Boolean).join(' ');
        const via = `sending the report via ${redactSmtpUrl(options.url)} failed${detail ? ` (${detail})` : ''}`;
        throw new PortdriftError('PD_SMTP', `${via}: ${failureText(t, e)}`, { cause: err });
      }
    },
    close() {
      transporter.close();
    },
  };
}
