// The collector's HTTP application, apart from listening: createApp builds the request handler
// and the node:http(s) server; the caller listens (tests on port 0). Every request is answered:
// a route's JSON, or an error as PortdriftError.toJSON() with its catalogue status. Nothing a
// client sends can crash the process: every handler runs inside one catch.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { PortdriftError } from '../../shared/errors.js';
import { rotateIfOld } from './key-age.js';
import { ByteBudget } from './budget.js';
import { createMetrics } from './metrics-registry.js';
import { RecentReaders } from './outage-auth.js';
import { sendError } from './respond.js';
import { match, type AppDeps, type Route } from './router.js';
import { adminRoutes } from './routes/admin.js';
import { agentRoutes } from './routes/agent.js';
import { enrollRoutes } from './routes/enroll.js';
import { metricsRoutes } from './routes/metrics.js';
import { queryRoutes } from './routes/query.js';

/** The header that hands an agent its new key after `portdrift agents rotate`. */
export const NEW_KEY_HEADER = 'portdrift-agent-key';

export const ROUTES: readonly Route[] = [
  ...queryRoutes,
  ...agentRoutes,
  ...enrollRoutes,
  ...adminRoutes,
  ...metricsRoutes,
];

/** The handler, the bytes-in-flight budget its requests share and its own metrics registry. */
export function createHandler(
  deps: AppDeps,
  inflight = new ByteBudget(deps.limits.maxInflightBytes ?? 64 * 1024 * 1024),
): (req: IncomingMessage, res: ServerResponse) => void {
  const metrics = createMetrics(deps.collector, inflight, {
    ...(deps.health ? { health: deps.health } : {}),
    ...(deps.replica ? { replica: deps.replica } : {}),
  });
  const readers = new RecentReaders();
  return (req, res) => {
    void (async () => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://collector');
      } catch {
        throw new PortdriftError('PD_HTTP_BAD_REQUEST', 'the request target is not a URL');
      }
      const { route, params } = match(ROUTES, req.method ?? 'GET', url.pathname);
      const token = await readers.authorize(req, route.access, deps.collector.store, deps.now(), !!route.duringOutage);
      // A key being rotated (`agents rotate`): its successor rides on this answer, whatever it is.
      if (token?.newKey) res.setHeader(NEW_KEY_HEADER, token.newKey);
      else if (token) await rotateIfOld(deps.collector.store, token, deps.agentKeyMaxAgeMs, deps.now());
      await route.handle({ req, res, url, params, token, deps, inflight, metrics });
    })().catch((err) => {
      // Refused before its body was read: answer, then discard what the client still sends (up
      // to a cap) so it can read the answer — an agent that sees its 413 or 401 stops resending
      // the batch, while a reset connection looks transient to it.
      if (!req.complete) discardRest(req, res, Math.max(64 * 1024 * 1024, deps.limits.maxBatchBytes * 2));
      sendError(req, res, err, deps.log);
    });
  };
}

function discardRest(req: IncomingMessage, res: ServerResponse, cap: number): void {
  // Node discards an unread request body itself once the response is finished (and keeps the
  // connection); this only bounds how much it will swallow before dropping the connection.
  let seen = 0;
  const count = (c: Buffer) => {
    seen += c.length;
    if (seen > cap) req.socket.destroy();
  };
  req.on('data', count);
  res.once('finish', () => {
    if (!req.complete) req.on('data', count);
  });
  req.resume();
}

export interface TlsFiles {
  cert: string;
  key: string;
}

export function createServer(deps: AppDeps, tls?: TlsFiles): Server {
  const handler = createHandler(deps);
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
  // Slow clients cannot hold a request open forever; idle keep-alive sockets (agents) stay.
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (err, socket) => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n' +
          JSON.stringify(
            new PortdriftError('PD_HTTP_BAD_REQUEST', `malformed HTTP: ${(err as Error).message}`).toJSON(),
          ),
      );
    else socket.destroy();
  });
  return server;
}
