// Admin routes: acknowledge a finding (reason required, optional expiry), ignore rules, reload
// the IaC, and send the report now. Each change is attributed to the token's name.
import { PortdriftError } from '../../../shared/errors.js';
import type { Acknowledgement } from '../../../shared/types.js';
import { present } from '../../service.js';
import { readJsonObject } from '../body.js';
import { sendJson } from '../respond.js';
import { parseAckBody, parseIgnoreBody } from './admin-bodies.js';
import type { Route } from '../router.js';

export const adminRoutes: Route[] = [
  {
    method: 'POST',
    path: /^\/v1\/findings\/([^/]+)\/ack$/,
    access: 'admin',
    async handle({ req, res, params, token, deps }) {
      const now = deps.now();
      const body = parseAckBody(await readJsonObject(req, deps.limits.maxJsonBytes), now);
      const ack: Acknowledgement = { by: token!.name, reason: body.reason, at: now, expiresAt: body.expiresAt };
      const stored = await deps.collector.store.acknowledge(params[0]!, ack);
      sendJson(res, 200, { finding: present(stored, now) });
    },
  },
  {
    method: 'POST',
    path: /^\/v1\/ignores$/,
    access: 'admin',
    async handle({ req, res, token, deps }) {
      const now = deps.now();
      const body = parseIgnoreBody(await readJsonObject(req, deps.limits.maxJsonBytes), now);
      const rule = await deps.collector.store.addIgnore({ ...body, by: token!.name, createdAt: now });
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
      if (!(await deps.collector.store.removeIgnore(params[0]!)))
        throw new PortdriftError('PD_HTTP_NOT_FOUND', `no ignore rule ${params[0]}`);
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
      sendJson(res, 200, {
        revision: m.revision,
        commit: m.commit,
        resources: m.model.resources.length,
        endpoints: m.model.endpoints.length,
        problems: m.model.problems,
      });
    },
  },
  {
    method: 'GET',
    path: /^\/v1\/report\/preview$/,
    access: 'reader',
    async handle({ res, deps }) {
      if (!deps.reports)
        throw new PortdriftError('PD_HTTP_NOT_FOUND', 'no reports are configured on this collector (smtp, reportTo)');
      sendJson(res, 200, await deps.reports.preview());
    },
  },
  {
    method: 'POST',
    path: /^\/v1\/report\/send$/,
    access: 'admin',
    async handle({ res, deps }) {
      if (!deps.reports)
        throw new PortdriftError('PD_HTTP_NOT_FOUND', 'no reports are configured on this collector (smtp, reportTo)');
      sendJson(res, 200, await deps.reports.sendNow());
    },
  },
];
