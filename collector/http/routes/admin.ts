// Admin routes: acknowledge a finding (reason required, optional expiry), ignore rules, reload
// the IaC, and send the report now. Each change is attributed to the token's name.
import { parseDuration } from '../../../shared/duration.js';
import { PortdriftError } from '../../../shared/errors.js';
import { isPort } from '../../../shared/ports.js';
import { FINDING_KINDS } from '../../../shared/drift/index.js';
import type { Acknowledgement, FindingKind } from '../../../shared/types.js';
import { present } from '../../service.js';
import { readJsonObject } from '../body.js';
import { sendJson } from '../respond.js';
import type { Route } from '../router.js';

const MAX_REASON = 2000;

function bad(field: string, why: string): PortdriftError {
  return new PortdriftError('PD_HTTP_BAD_REQUEST', `${field}: ${why}`, { details: { field } });
}

function only(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) throw bad(k, 'unknown field');
}

function reason(body: Record<string, unknown>): string {
  const r = body.reason;
  if (typeof r !== 'string' || r.trim() === '') throw bad('reason', 'is required: say why');
  if (r.length > MAX_REASON) throw bad('reason', `must be at most ${MAX_REASON} characters`);
  return r.trim();
}

/**
 * The longest an acknowledgement or ignore rule may be given for. Longer is a typo (10000000d is
 * the year 29405) or a wish for "forever", which is no expiry at all and says so.
 */
const MAX_EXPIRY_MS = 10 * 366 * 86_400_000;

/** `expires` (a duration from now: 7d, 12h) or `expiresAt` (an ISO time in the future), or neither. */
function expiry(body: Record<string, unknown>, now: string): string | null {
  if (body.expires !== undefined && body.expiresAt !== undefined) throw bad('expires', 'give expires or expiresAt, not both');
  if (body.expires !== undefined) {
    if (typeof body.expires !== 'string') throw bad('expires', 'must be a duration such as 7d or 12h');
    let ms: number;
    try {
      ms = parseDuration(body.expires);
    } catch (err) {
      throw bad('expires', (err as Error).message);
    }
    if (ms <= 0) throw bad('expires', 'must be longer than 0');
    if (ms > MAX_EXPIRY_MS) throw bad('expires', 'must be at most 10 years (leave it out for no expiry)');
    return new Date(Date.parse(now) + ms).toISOString();
  }
  if (body.expiresAt !== undefined && body.expiresAt !== null) {
    const t = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : NaN;
    if (Number.isNaN(t)) throw bad('expiresAt', 'must be an ISO time');
    if (t <= Date.parse(now)) throw bad('expiresAt', 'must lie in the future');
    if (t - Date.parse(now) > MAX_EXPIRY_MS) throw bad('expiresAt', 'must be at most 10 years ahead (leave it out for no expiry)');
    return new Date(t).toISOString();
  }
  return null;
}

export const adminRoutes: Route[] = [
  {
    method: 'POST',
    path: /^\/v1\/findings\/([^/]+)\/ack$/,
    access: 'admin',
    async handle({ req, res, params, token, deps }) {
      const body = await readJsonObject(req, deps.limits.maxJsonBytes);
      only(body, ['reason', 'expires', 'expiresAt']);
      const now = deps.now();
      const ack: Acknowledgement = { by: token!.name, reason: reason(body), at: now, expiresAt: expiry(body, now) };
      const stored = await deps.collector.store.acknowledge(params[0]!, ack);
      sendJson(res, 200, { finding: present(stored, now) });
    },
  },
  {
    method: 'POST',
    path: /^\/v1\/ignores$/,
    access: 'admin',
    async handle({ req, res, token, deps }) {
      const body = await readJsonObject(req, deps.limits.maxJsonBytes);
      only(body, ['resource', 'host', 'port', 'kind', 'reason', 'expires', 'expiresAt']);
      const now = deps.now();
      const resource = body.resource ?? '*';
      if (typeof resource !== 'string' || resource === '' || resource.length > 500) throw bad('resource', 'must be a resource address or glob');
      if (body.host !== undefined && body.host !== null && (typeof body.host !== 'string' || body.host === '')) throw bad('host', 'must be a host name or address');
      if (body.port !== undefined && body.port !== null && !isPort(body.port)) throw bad('port', 'must be a port 1-65535');
      if (body.kind !== undefined && body.kind !== null && !FINDING_KINDS.includes(body.kind as FindingKind)) throw bad('kind', `must be one of ${FINDING_KINDS.join(', ')}`);
      if (resource === '*' && body.host == null && body.port == null) throw bad('resource', 'a rule must name a resource, host or port (it would ignore everything)');
      const rule = await deps.collector.store.addIgnore({
        resource,
        host: (body.host as string | undefined) ?? null,
        port: (body.port as number | undefined) ?? null,
        kind: (body.kind as FindingKind | undefined) ?? null,
        reason: reason(body),
        by: token!.name,
        createdAt: now,
        expiresAt: expiry(body, now),
      });
      await deps.collector.refreshTargets();
      await deps.collector.evaluateNow('refresh');
      sendJson(res, 201, { ignore: rule });
    },
  },
  {
    method: 'DELETE',
    path: /^\/v1\/ignores\/([^/]+)$/,
    access: 'admin',
    async handle({ res, params, deps }) {
      if (!(await deps.collector.store.removeIgnore(params[0]!))) throw new PortdriftError('PD_HTTP_NOT_FOUND', `no ignore rule ${params[0]}`);
      await deps.collector.refreshTargets();
      await deps.collector.evaluateNow('refresh');
      sendJson(res, 200, { removed: params[0] });
    },
  },
  {
    method: 'POST',
    path: /^\/v1\/reload$/,
    access: 'admin',
    async handle({ res, deps }) {
      const m = await deps.collector.reload();
      sendJson(res, 200, { revision: m.revision, commit: m.commit, resources: m.model.resources.length, endpoints: m.model.endpoints.length, problems: m.model.problems });
    },
  },
  {
    method: 'GET',
    path: /^\/v1\/report\/preview$/,
    access: 'reader',
    async handle({ res, deps }) {
      if (!deps.reports) throw new PortdriftError('PD_HTTP_NOT_FOUND', 'no reports are configured on this collector (smtp, reportTo)');
      sendJson(res, 200, await deps.reports.preview());
    },
  },
  {
    method: 'POST',
    path: /^\/v1\/report\/send$/,
    access: 'admin',
    async handle({ res, deps }) {
      if (!deps.reports) throw new PortdriftError('PD_HTTP_NOT_FOUND', 'no reports are configured on this collector (smtp, reportTo)');
      sendJson(res, 200, await deps.reports.sendNow());
    },
  },
];
