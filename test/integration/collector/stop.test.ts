// Stopping a collector that an agent is still talking to. server.close() alone lets Node go on
// serving every request that arrives on a connection that was busy when it was called, so an
// agent posting back to back kept a stopping collector open until the 10 s force. A stop must
// let the request in flight finish (its batch commits) and then end that connection.
import { request, Agent, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ndjson, startTestCollector, type TestCollector } from './harness.js';

let c: TestCollector | undefined;
afterEach(async () => {
  await c?.stop();
  c = undefined;
});

/** POST a batch over `agent`; `hold` delays the second half of the body until it resolves. */
function postBatch(
  agent: Agent,
  url: string,
  token: string,
  id: string,
  hold?: Promise<unknown>,
): Promise<IncomingMessage & { text: string }> {
  const body = ndjson({ id, obs: [{ host: '127.0.0.1', ip: '127.0.0.1', port: 5432, state: 'open' }] });
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/v1/observations', url),
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-ndjson',
          'idempotency-key': id,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve(Object.assign(res, { text })));
      },
    );
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    void Promise.resolve(hold).then(() => req.end(body.slice(half)));
  });
}

describe('collector stop', () => {
  it(
    'lets the batch in flight commit, then ends its keep-alive ' +
      'connection instead of serving the next request on it',
    async () => {
      c = await startTestCollector();
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        // The connection is busy (a body half sent) when the stop begins.
        let release!: () => void;
        const held = postBatch(agent, c.url, c.tokens.agent, 'b-held', new Promise<void>((r) => (release = r)));
        await new Promise((r) => setTimeout(r, 50));
        const t = performance.now();
        let stopMs: number | undefined;
        const stop = c.running.stop().then(() => (stopMs = performance.now() - t));
        release();
        const first = await held;
        // 200 comes only after the batch's transaction committed.
        expect(first.statusCode, first.text).toBe(200);
        expect(JSON.parse(first.text)).toMatchObject({ batchId: 'b-held', observations: 1 });
        expect(first.headers.connection).toBe('close');
        // An agent that posts again at once: on the same connection it would keep the server open.
        let served = 0;
        for (let i = 0; i < 200 && stopMs === undefined; i++) {
          const r = await postBatch(agent, c.url, c.tokens.agent, `b-${i}`).catch(() => null);
          if (r) served++;
          else await new Promise((res) => setTimeout(res, 10));
        }
        await stop;
        expect(served, 'requests served after the stop began').toBe(0);
        expect(stopMs!, 'the stop waited for the force timeout').toBeLessThan(3_000);
      } finally {
        agent.destroy();
      }
    },
  );
});
