// A small route table: method + path pattern + the role it needs. 404 for an unknown path, 405
// (with Allow) for a known path and another method. Authorization runs before the handler reads
// a byte of the body, so an unauthenticated client cannot make the collector read a large body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PortdriftError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Collector } from '../service.js';
import type { TokenRecord } from '../store/types.js';
import type { Access } from './auth.js';
import type { ByteBudget } from './budget.js';
import type { MetricsExposition } from './metrics-registry.js';

export interface HttpLimits {
  /** Observation batches (NDJSON). */
  maxBatchBytes: number;
  /** Every other JSON body. */
  maxJsonBytes: number;
  /** Batch bytes held at once across requests; past it a batch is answered 503 + Retry-After. */
  maxInflightBytes?: number;
}

export interface AppDeps {
  collector: Collector;
  log: Logger;
  limits: HttpLimits;
  /** Extra integrations the composition provides (reports). */
  reports?: {
    preview(): Promise<unknown>;
    sendNow(): Promise<unknown>;
  } | null;
  now(): string;
  /** Enrolled agent keys older than this are rotated on their next request (config agentKeyMaxAge). */
  agentKeyMaxAgeMs?: number;
  /** Whether this replica leads and reaches its database (/healthz); absent: one collector, true. */
  health?: () => Promise<{ leader: boolean; database: boolean }>;
  /** This collector process among the replicas (/healthz, /metrics): its lease holder id and host. */
  replica?: { id: string; host: string };
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  token: TokenRecord | null;
  deps: AppDeps;
  /** The bytes in flight across the server's requests (one budget per server). */
  inflight: ByteBudget;
  /** The handler's Prometheus registry (GET /metrics). */
  metrics: MetricsExposition;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: RegExp;
  access: Access;
  /** Answers while the store cannot be reached (a reader recently authenticated is let in). */
  duringOutage?: boolean;
  handle(c: RequestContext): Promise<void>;
}

function decodeParam(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new PortdriftError(
      'PD_HTTP_BAD_REQUEST',
      `the path segment ${JSON.stringify(p.slice(0, 80))} is not valid percent-encoding`,
    );
  }
}

export function match(routes: readonly Route[], method: string, pathname: string): { route: Route; params: string[] } {
  const allow: string[] = [];
  for (const r of routes) {
    const m = r.path.exec(pathname);
    if (!m) continue;
    if (r.method === method || (method === 'HEAD' && r.method === 'GET'))
      return { route: r, params: m.slice(1).map(decodeParam) };
    allow.push(r.method);
  }
  if (allow.length > 0)
    throw new PortdriftError('PD_HTTP_METHOD', `${method} is not allowed on ${pathname}; use ${allow.join(', ')}`, {
      details: { allow: allow.join(', ') },
    });
  throw new PortdriftError('PD_HTTP_NOT_FOUND', `no route ${pathname}`);
}
