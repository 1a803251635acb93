// Answers: JSON bodies, and every error as PortdriftError.toJSON() with its catalogue status.
// Anything that is not a PortdriftError is a bug: it is logged and answered PD_INTERNAL without
// its message (which may carry paths or SQL).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PortdriftError, isPortdriftError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown, log: Logger): void {
  const e = isPortdriftError(err) ? err : new PortdriftError('PD_INTERNAL', 'internal error (logged by the collector)');
  if (!isPortdriftError(err))
    log.error({ err: (err as Error)?.stack ?? String(err), method: req.method, url: req.url }, 'request failed');
  else if (e.httpStatus >= 500)
    log.error({ code: e.code, err: e.message, method: req.method, url: req.url }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (e.code === 'PD_HTTP_UNAUTHORIZED') headers['www-authenticate'] = 'Bearer realm="portdrift"';
  if (e.details?.allow) headers.allow = String(e.details.allow);
  if (e.details?.retryAfterSeconds) headers['retry-after'] = String(e.details.retryAfterSeconds);
  sendJson(res, e.httpStatus, e.toJSON(), headers);
}
