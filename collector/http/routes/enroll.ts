// POST /v1/enroll: an agent trades an enroll secret (Authorization: Bearer) and its identity for
// its own agent key, bound to its name and to its scope (inside the secret's). The secret is
// checked before the body is read, so a client without one makes the collector read nothing.
import { PortdriftError } from '../../../shared/errors.js';
import { checkWithin, parseIdentity } from '../../enroll/identity.js';
import { bearer } from '../auth.js';
import { readJsonObject } from '../body.js';
import { sendJson } from '../respond.js';
import type { Route } from '../router.js';

export const enrollRoutes: Route[] = [
  {
    method: 'POST',
    path: /^\/v1\/enroll$/,
    // Public to the router: the enroll secret is checked here, with its own error codes.
    access: 'public',
    async handle({ req, res, deps }) {
      const secret = bearer(req);
      if (!secret || secret.length > 512) {
        const message = 'POST /v1/enroll needs the enroll secret: Authorization: Bearer <secret>';
        throw new PortdriftError('PD_ENROLL_SECRET_INVALID', message);
      }
      const store = deps.collector.store;
      const owner = await store.enrollSecret(secret, deps.now());
      const identity = parseIdentity(await readJsonObject(req, deps.limits.maxJsonBytes));
      checkWithin(identity.scope, owner.scope ?? [], owner.name);
      const { name, scope, ...rest } = identity;
      const { key, record } = await store.enroll({ secret, name, scope, identity: rest, now: deps.now() });
      deps.log.info({ agent: name, host: identity.host, secret: owner.id, key: record.id, scope }, 'agent enrolled');
      sendJson(res, 201, { agent: name, key, keyId: record.id, scope });
    },
  },
];
