// Bearer tokens and roles. `agent`: plan and observations only. `reader`: queries and metrics.
// `admin`: everything a reader may, plus ack, ignores, reload and sending reports. An agent
// token cannot read findings, and a reader or admin token cannot post observations: each role
// does one job, so a leaked reader token writes nothing, and a leaked agent token reveals only
// its own plan — the IP-literal hosts inside the token's scope and every host named by DNS (only
// an agent can resolve those), with their declared ports — and reports only inside that scope.
import type { IncomingMessage } from 'node:http';
import { PortdriftError } from '../../shared/errors.js';
import type { Role, Store, TokenRecord } from '../store/types.js';

export type Access = 'public' | 'agent' | 'reader' | 'admin';

const ALLOWED: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  agent: ['agent'],
  reader: ['reader', 'admin'],
  admin: ['admin'],
};

export function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(h);
  return m ? m[1]! : '';
}

export async function authorize(
  req: IncomingMessage,
  access: Access,
  store: Store,
  now: string,
): Promise<TokenRecord | null> {
  if (access === 'public') return null;
  const secret = bearer(req);
  if (secret === null)
    throw new PortdriftError('PD_HTTP_UNAUTHORIZED', 'this request needs a token: Authorization: Bearer <token>');
  if (secret === '' || secret.length > 512)
    throw new PortdriftError('PD_HTTP_UNAUTHORIZED', 'the Authorization header is not "Bearer <token>"');
  const token = await store.authenticate(secret, now);
  if (!token) throw new PortdriftError('PD_HTTP_UNAUTHORIZED', 'the token is unknown or revoked');
  if (!ALLOWED[access].includes(token.role))
    throw new PortdriftError(
      'PD_HTTP_FORBIDDEN',
      `a ${token.role} token may not do this; it needs the ${access} role${access === 'reader' ? ' (or admin)' : ''}`,
    );
  return token;
}
