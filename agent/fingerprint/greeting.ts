// The `220` greeting shared by SMTP and FTP (both server-first): which of the two a greeting
// is, from what it says about itself, else from the service expected on the port.
import { firstLine, isText, startsLike } from './text.js';
import type { HelloContext } from './types.js';

const FTP_WORDS = /\bftp|ftpd|vsftpd|proftpd|pure-ftpd|filezilla/i;
const SMTP_WORDS = /smtp|esmtp|postfix|exim|sendmail|\bmail\b|qmail|haraka|opensmtpd/i;

/** The greeting's first line when it is one (`more` while it is still arriving), else null. */
export function greeting(data: Buffer, done: boolean): string | 'more' | null {
  if (!startsLike(data, '220')) return null;
  const line = firstLine(data);
  if (line === null) return !done && data.length < 512 && isText(data) ? 'more' : null;
  return /^220[ -]/.test(line) && isText(Buffer.from(line, 'latin1')) ? line : null;
}

export function greetingKind(line: string, ctx: HelloContext): 'ftp' | 'smtp' {
  const ftp = FTP_WORDS.test(line);
  const smtp = SMTP_WORDS.test(line);
  if (ftp !== smtp) return ftp ? 'ftp' : 'smtp';
  return ctx.hint === 'ftp' || ctx.port === 21 ? 'ftp' : 'smtp';
}
