// Reader routes: findings (the DriftReport shape of `scan --format json`), agents, history,
// ignore rules; and the public health check.
import { PortdriftError } from '../../../shared/errors.js';
import type { FindingKind, Severity } from '../../../shared/types.js';
import { FINDING_KINDS } from '../../../shared/drift/index.js';
import { toDriftJson } from '../../../shared/format/json.js';
import { sendJson } from '../respond.js';
import type { Route } from '../router.js';

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high'];

function oneOf<T extends string>(url: URL, name: string, values: readonly T[]): T | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!values.includes(v as T))
    throw new PortdriftError(
      'PD_HTTP_BAD_REQUEST',
      `${name} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`,
    );
  return v as T;
}

function isoParam(url: URL, name: string): string | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new PortdriftError('PD_HTTP_BAD_REQUEST', `${name} must be an ISO time, got ${JSON.stringify(v)}`);
  return new Date(t).toISOString();
}

export const queryRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/healthz$/,
    access: 'public',
    async handle({ res, deps }) {
      const m = deps.collector.model;
      // A replica that cannot reach its database answers 503, so a load balancer takes it out.
      const h = deps.health ? await deps.health() : { leader: true, database: true };
      const status = !m ? 'starting' : h.database ? 'ok' : 'database unreachable';
      sendJson(res, status === 'ok' ? 200 : 503, {
        status,
        revision: m?.revision ?? null,
        leader: h.leader,
        database: h.database,
        replica: deps.replica?.id ?? null,
      });
    },
  },
  {
    method: 'GET',
    path: /^\/v1\/findings$/,
    access: 'reader',
    async handle({ url, res, deps }) {
      const status = oneOf(url, 'status', ['open', 'resolved', 'all'] as const);
      const kind = oneOf<FindingKind>(url, 'kind', FINDING_KINDS);
      const severity = oneOf(url, 'severity', SEVERITIES);
      sendJson(
        res,
        200,
        toDriftJson(
          await deps.collector.report({
            ...(status ? { status } : {}),
            ...(kind ? { kind } : {}),
            ...(severity ? { severity } : {}),
          }),
        ),
      );
    },
  },
  {
    method: 'GET',
    path: /^\/v1\/findings\/([^/]+)$/,
    access: 'reader',
    async handle({ params, res, deps }) {
      const report = await deps.collector.report({ status: 'all' });
      const f = report.findings.find((x) => x.id === params[0]);
      if (!f) throw new PortdriftError('PD_FINDING_NOT_FOUND', `no finding with id ${params[0]}`);
      sendJson(res, 200, { finding: f, history: await deps.collector.store.history({ findingId: f.id }) });
    },
  },
  {
    method: 'GET',
    path: /^\/v1\/agents$/,
    access: 'reader',
    async handle({ res, deps }) {
      sendJson(res, 200, { version: 1, generatedAt: deps.now(), agents: await deps.collector.agents() });
    },
  },
  {
    method: 'GET',
    path: /^\/v1\/history$/,
    access: 'reader',
    async handle({ url, res, deps }) {
      const limitText = url.searchParams.get('limit');
      if (limitText !== null && !/^\d{1,6}$/.test(limitText))
        throw new PortdriftError(
          'PD_HTTP_BAD_REQUEST',
          `limit must be a number up to 999999, got ${JSON.stringify(limitText)}`,
        );
      const finding = url.searchParams.get('finding');
      const since = isoParam(url, 'since');
      const entries = await deps.collector.store.history({
        ...(finding ? { findingId: finding } : {}),
        ...(since ? { since } : {}),
        ...(limitText ? { limit: Number(limitText) } : {}),
      });
      sendJson(res, 200, { version: 1, entries });
    },
  },
  {
    method: 'GET',
    path: /^\/v1\/ignores$/,
    access: 'reader',
    async handle({ res, deps }) {
      sendJson(res, 200, { version: 1, ignores: await deps.collector.store.ignores() });
    },
  },
];
