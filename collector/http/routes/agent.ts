// The agent's routes: GET /v1/plan (ETag / If-None-Match) and POST /v1/observations (NDJSON,
// Idempotency-Key = batch id, acknowledged only after the store committed the batch).
import { PortdriftError } from '../../../shared/errors.js';
import { checkCidr } from '../../../shared/scope.js';
import { isPortdriftError } from '../../../shared/errors.js';
import { parseBatch } from '../../ingest/parse.js';
import { recordScope } from '../../ingest/scope.js';
import { readBody, requireMediaType } from '../body.js';
import { sendJson } from '../respond.js';
import type { Route } from '../router.js';

const KEY = /^[A-Za-z0-9._:@/+-]{1,200}$/;

/** Strong or weak, quoted or bare, a list or `*`: does If-None-Match name this ETag? */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, '') === bare);
}

export const agentRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/v1\/plan$/,
    access: 'agent',
    async handle({ url, req, res, token, deps }) {
      const scope = url.searchParams.getAll('scope');
      const problems = scope
        .map((s, i) => [i, checkCidr(s)] as const)
        .filter(([, p]) => p !== null)
        .map(([i, p]) => `scope[${i}]: ${p}`);
      if (problems.length > 0)
        throw new PortdriftError('PD_HTTP_BAD_REQUEST', `invalid scope:\n  ${problems.join('\n  ')}`, {
          details: { problems },
        });
      const plan = await deps.collector.plan(token!.name, scope, token!.scope);
      const etag = `"${plan.revision}"`;
      if (etagMatches(req.headers['if-none-match'], etag)) {
        res.writeHead(304, { etag, 'cache-control': 'no-cache' });
        res.end();
        return;
      }
      sendJson(res, 200, plan, { etag, 'cache-control': 'no-cache' });
    },
  },
  {
    method: 'POST',
    path: /^\/v1\/observations$/,
    access: 'agent',
    async handle({ req, res, token, deps, inflight }) {
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || !KEY.test(key))
        throw new PortdriftError(
          'PD_IDEMPOTENCY_KEY',
          'the Idempotency-Key header (the batch id) is missing or not a batch id',
        );
      requireMediaType(req, ['application/x-ndjson']);
      // The body's bytes count against the bytes in flight until the batch is stored (the parsed
      // records live as long); past the cap: 503 + Retry-After, before the body is read.
      const hold = inflight.hold();
      try {
        let body: Buffer;
        try {
          body = await readBody(req, deps.limits.maxBatchBytes, hold);
        } catch (err) {
          if (isPortdriftError(err) && err.code === 'PD_HTTP_BUSY') deps.collector.counters.busy++;
          throw err;
        }
        let batch: ReturnType<typeof parseBatch>;
        try {
          // The token's scope: a record about an address outside it refuses the whole batch, as
          // a bad line does (the agent resends batches as they were; a partial store would lie).
          const scope = recordScope(token!.name, token!.scope);
          batch = parseBatch(body.toString('utf8'), { maxRecords: 1_000_000, scope });
        } catch (err) {
          const k = deps.collector.counters;
          k.rejected++;
          if (isPortdriftError(err) && err.code === 'PD_RECORD_OUT_OF_SCOPE') {
            k.outOfScopeRecords += Number(err.details?.records ?? 1);
          }
          throw err;
        }
        if (batch.header.batchId !== key) {
          deps.collector.counters.rejected++;
          const id = JSON.stringify(batch.header.batchId);
          const message = `Idempotency-Key ${JSON.stringify(key)} does not match the batch id ${id}`;
          throw new PortdriftError('PD_IDEMPOTENCY_KEY', message);
        }
        // An agent token is that agent's identity (docs/design/wire-protocol.md#agent-identity): plans
        // are served under its name, so batches are accepted only under the same name. Otherwise
        // one leaked or mis-deployed token could write results as any agent, or keep a dead one
        // alive.
        if (batch.header.agent !== token!.name) {
          deps.collector.counters.rejected++;
          const [mine, theirs] = [token!.name, batch.header.agent];
          throw new PortdriftError(
            'PD_HTTP_FORBIDDEN',
            `this token belongs to agent ${JSON.stringify(mine)}; a batch of agent ${JSON.stringify(theirs)} is ` +
              `refused (start the agent with --name ${mine}, or give it a token created with --name ${theirs})`,
          );
        }
        const r = await deps.collector.ingest(batch);
        // 200 both times: the repeat is told so in a header, with the first answer as its body.
        sendJson(res, 200, r.answer, r.replayed ? { 'idempotent-replayed': 'true' } : {});
      } finally {
        hold.release();
      }
    },
  },
];
