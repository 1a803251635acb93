// Config `agentKeyMaxAge`: an enrolled agent key older than the limit is rotated on the request
// that finds it old, so the next answer hands the agent its new key (the Portdrift-Agent-Key
// header, as after `portdrift agents rotate`) and the old key ends when the new one is first
// used: no gap. A real collector (HTTP on loopback, SQLite) whose clock the test moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEW_KEY_HEADER } from '../../../collector/http/app.js';
import { post, startTestCollector, type TestCollector } from './harness.js';

const HOUR = 3_600_000;

describe('agentKeyMaxAge: enrolled keys rotated by age', () => {
  let c: TestCollector;
  let offset = 0;
  const clock = () => Date.now() + offset;
  const batch = (key: string, id: string) => {
    const at = new Date(clock()).toISOString();
    const header = { t: 'batch', v: 1, batchId: id, agent: 'edge-1', agentVersion: '1', planRevision: null };
    const body = `${JSON.stringify({ ...header, startedAt: at, finishedAt: at, spoolDropped: 0, spoolDepth: 0 })}\n`;
    return post(c.url, '/v1/observations', key, body, {
      'content-type': 'application/x-ndjson',
      'idempotency-key': id,
    });
  };

  beforeAll(async () => {
    c = await startTestCollector({ interval: '1m', agentKeyMaxAge: '2h' }, undefined, clock);
  });
  afterAll(() => c.stop());

  it('gives an old key a successor on its next request, and the old key ends at the first use of the new', async () => {
    const now = new Date(clock()).toISOString();
    const { token: secret } = await c.running.store.createToken({
      name: 'fleet',
      role: 'enroll',
      now,
      scope: ['127.0.0.0/8'],
    });
    const enrolled = await post(
      c.url,
      '/v1/enroll',
      secret,
      JSON.stringify({ name: 'edge-1', host: 'edge-1', version: '1', scope: ['127.0.0.0/8'] }),
      { 'content-type': 'application/json' },
    );
    expect(enrolled.status, await enrolled.clone().text()).toBe(201);
    const old = (await enrolled.json()).key as string;

    // Younger than the limit: no rotation.
    offset += HOUR;
    const young = await batch(old, 'b-1');
    expect(young.status).toBe(200);
    expect(young.headers.get(NEW_KEY_HEADER)).toBeNull();

    // Older than the limit: this request is served as usual and starts the rotation ...
    offset += 2 * HOUR;
    const found = await batch(old, 'b-2');
    expect(found.status).toBe(200);
    // ... the next one carries the new key.
    const handed = await batch(old, 'b-3');
    expect(handed.status).toBe(200);
    const fresh = handed.headers.get(NEW_KEY_HEADER);
    expect(fresh).toMatch(/\S{20,}/);
    expect(fresh).not.toBe(old);

    // The new key works, and its first use ends the old one.
    expect((await batch(fresh!, 'b-4')).status).toBe(200);
    expect((await batch(old, 'b-5')).status).toBe(401);
    // The new key is young: no further rotation.
    const again = await batch(fresh!, 'b-6');
    expect(again.headers.get(NEW_KEY_HEADER)).toBeNull();
  });

  it('leaves a token made with `token create` alone (its agent could not keep a new key)', async () => {
    const now = new Date(clock()).toISOString();
    const { token } = await c.running.store.createToken({ name: 'edge-1', role: 'agent', now });
    offset += 5 * HOUR;
    const r = await batch(token, 'm-1');
    expect(r.status).toBe(200);
    expect((await batch(token, 'm-2')).headers.get(NEW_KEY_HEADER)).toBeNull();
  });
});
