// TLS (client-first): a ClientHello through node:tls, to read the certificate the service
// presents: subject, SANs, issuer, expiry (with TLS 1.3 the certificate is encrypted, so the
// handshake is completed; nothing is sent after it). The certificate is never verified: a
// fingerprint is not trust, and a certificate for another name is exactly what to report.
// The raw bytes read are capped (boundedStream below); the deadline bounds the rest.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from 'node:tls';
import type { Fingerprint, TlsInfo } from '../../shared/types.js';
import type { AttemptResult, HelloContext, Limits, ProtocolModule } from './types.js';

const READ_CHUNK = 1024;

type Name = PeerCertificate['subject'];

function formatName(name: Name | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

function isoDate(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

export function tlsInfo(
  cert: PeerCertificate,
  host: string,
  protocol: string | null,
  alpn: string | false | null,
): TlsInfo {
  const sans = (cert.subjectaltname ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((s) => s.replace(/^IP Address:/, 'IP:'));
  const subject = formatName(cert.subject);
  const issuer = formatName(cert.issuer);
  const info: TlsInfo = { subject, issuer, sans, notAfter: isoDate(cert.valid_to), selfSigned: subject === issuer };
  if (protocol) info.protocol = protocol;
  if (alpn) info.alpn = alpn;
  // Only a name can be checked against the certificate: agents mostly dial IPs, which a
  // certificate for service names rightly does not list.
  const name = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(name) === 0) info.hostMatch = checkServerIdentity(name, cert) === undefined;
  return info;
}

function describe(info: TlsInfo, host: string): string {
  const cn = /(?:^|, )CN=([^,]+)/.exec(info.subject)?.[1];
  const parts = [info.protocol ?? 'TLS'];
  if (info.alpn) parts.push(`ALPN ${info.alpn}`);
  if (cn) parts.push(`CN=${cn}`);
  if (info.selfSigned) parts.push('self-signed');
  parts.push(`${Date.parse(info.notAfter) < Date.now() ? 'expired' : 'expires'} ${info.notAfter.slice(0, 10)}`);
  if (info.hostMatch === false) parts.push(`certificate is not for ${host}`);
  return parts.join(', ');
}

/**
 * The raw connection, read through a fixed 1 KiB buffer and handed to node:tls as a plain
 * duplex stream: node:tls would otherwise read the socket itself, 64 KiB at a time, and an
 * endless sender could not be cut off at the read cap.
 */
function boundedStream(
  ctx: HelloContext,
  maxBytes: number,
  onCap: () => void,
): { stream: Duplex; raw: Socket; bytes: () => number } {
  let bytes = 0;
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      if (raw.destroyed) return cb();
      raw.write(chunk, () => cb());
    },
    final(cb) {
      raw.end();
      cb();
    },
  });
  const raw = netConnect({
    host: ctx.ip,
    port: ctx.port,
    onread: {
      buffer: Buffer.allocUnsafe(READ_CHUNK),
      callback: (n: number, buf: Uint8Array) => {
        bytes += n;
        if (bytes > maxBytes) {
          onCap();
          return false;
        }
        stream.push(Buffer.from(buf.subarray(0, n)));
        return true;
      },
    },
  });
  raw.on('end', () => stream.push(null));
  raw.on('error', (err) => stream.destroy(err));
  raw.on('close', () => stream.destroy());
  return { stream, raw, bytes: () => bytes };
}

function attempt(ctx: HelloContext, limits: Limits): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const wait = Math.max(0, Math.min(limits.timeoutMs, limits.deadline - performance.now()));
    const name = ctx.host.replace(/^\[(.*)\]$/, '$1');
    let finished = false;
    const finish = (fingerprint: Fingerprint | null, end?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onAbort);
      secure.destroy();
      raw.destroy();
      resolve({ fingerprint, data: Buffer.alloc(0), bytes: bytes(), ...(end ? { end } : {}) });
    };
    const capped = `read cap of ${limits.maxBytes} bytes reached before the handshake completed`;
    const { stream, raw, bytes } = boundedStream(ctx, limits.maxBytes, () => finish(null, capped));
    const secure = tlsConnect({
      socket: stream,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
      // SNI for names only: an IP literal is not a valid server name.
      ...(isIP(name) === 0 ? { servername: name } : {}),
    });
    const onAbort = () => finish(null, 'aborted');
    const timer = setTimeout(() => finish(null, 'timeout'), wait);
    limits.signal?.addEventListener('abort', onAbort, { once: true });
    secure.on('error', (err: NodeJS.ErrnoException) => {
      // A TLS alert from the peer (handshake failure, a client certificate required, …) is a
      // TLS service refusing us; a record that is not TLS at all is another protocol.
      const code = err.code ?? '';
      const alert = code.replace(/^ERR_SSL_/, '').toLowerCase();
      if (/_ALERT_/.test(code)) finish({ service: 'tls', detail: `handshake refused: ${alert}` });
      else finish(null, code || err.message);
    });
    secure.on('close', () => finish(null, 'closed'));
    secure.once('secureConnect', () => {
      const cert = secure.getPeerCertificate();
      if (!cert || Object.keys(cert).length === 0) {
        return finish({ service: 'tls', detail: `${secure.getProtocol() ?? 'TLS'}, no certificate` });
      }
      const info = tlsInfo(cert, ctx.host, secure.getProtocol(), secure.alpnProtocol);
      finish({ service: 'tls', tls: info, detail: describe(info, ctx.host) });
    });
  });
}

export const tls: ProtocolModule = {
  name: 'tls',
  hello: null,
  // Only the handshake above recognises TLS; raw bytes from other hellos are left to the others.
  match: () => null,
  attempt,
};
