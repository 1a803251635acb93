// State sources other than local files: `s3://`, `https://` (Terraform's HTTP backend), `tfc://`.
// How a URL is named in messages: without user info and query (a presigned query or a token in
// it is a secret), so an error can always name the source and never leak a credential.
import { PortdriftError } from '../../errors.js';

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** True for `s3://…`, `http(s)://…`, `tfc://…` (and any other scheme, rejected by readStateSource). */
export const isStateUrl = (s: string): boolean => SCHEME.test(s);

export const schemeOf = (s: string): string => SCHEME.exec(s)?.[1]?.toLowerCase() ?? '';

/** The URL as it may appear in a message: scheme, host, path; `?…` marks a dropped query. */
export function shownUrl(s: string): string {
  if (!/^https?:/i.test(s)) return s.replace(/\?.*$/, '?…');
  try {
    const u = new URL(s);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return s.replace(/\/\/[^/@]*@/, '//').replace(/\?.*$/, '?…');
  }
}

/** Loopback hosts, the only ones plain http is allowed to (tests, a local proxy). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** What a failed fetch says, without anything of the request (headers hold the credentials). */
export function networkReason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message?.split('\n')[0] ?? e.message.split('\n')[0] ?? 'failed';
}

export function usage(message: string): PortdriftError {
  return new PortdriftError('PD_USAGE', message);
}
