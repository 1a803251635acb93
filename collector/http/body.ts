// Request bodies with a hard size limit. A body announced larger than the limit is refused
// before a byte of it is read; a chunked one is refused as soon as it passes the limit. Either
// way the connection is closed after the 413, so a client cannot make the collector drain an
// endless body.
import type { IncomingMessage } from 'node:http';
import { PortdriftError } from '../../shared/errors.js';
import type { BudgetHold } from './budget.js';

export class BodyTooLarge extends PortdriftError {
  constructor(limit: number) {
    super('PD_HTTP_TOO_LARGE', `the request body is larger than ${limit} bytes`, { details: { limitBytes: limit } });
  }
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function requireMediaType(req: IncomingMessage, accepted: readonly string[]): void {
  const t = mediaType(req);
  if (!accepted.includes(t))
    throw new PortdriftError(
      'PD_HTTP_MEDIA_TYPE',
      `Content-Type must be ${accepted.join(' or ')}, got ${JSON.stringify(t || '(none)')}`,
    );
}

/**
 * `hold`: the request's share of the bytes in flight across requests. An announced body is
 * taken whole before a byte is read; a chunked one chunk by chunk. Past the cap: PD_HTTP_BUSY.
 */
export function readBody(req: IncomingMessage, limit: number, hold?: BudgetHold): Promise<Buffer> {
  const announced = Number(req.headers['content-length']);
  const known = req.headers['content-length'] !== undefined && Number.isFinite(announced);
  if (known && announced > limit) return Promise.reject(new BodyTooLarge(limit));
  try {
    if (known) hold?.take(announced);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        req.pause();
        reject(new BodyTooLarge(limit));
        return;
      }
      if (!known && hold) {
        try {
          hold.take(c.length);
        } catch (err) {
          done = true;
          req.pause();
          reject(err);
          return;
        }
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(new PortdriftError('PD_HTTP_BAD_REQUEST', `the request body could not be read: ${err.message}`));
    });
    req.on('aborted', () => {
      if (done) return;
      done = true;
      reject(new PortdriftError('PD_HTTP_BAD_REQUEST', 'the client aborted the request body'));
    });
  });
}

/** A JSON object body (admin routes). */
export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  requireMediaType(req, ['application/json']);
  const buf = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new PortdriftError('PD_HTTP_BAD_REQUEST', `the body is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new PortdriftError('PD_HTTP_BAD_REQUEST', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}
