// `portdrift agents` and GET /v1/agents: for each agent its last-seen time, version, key age,
// enrollment identity (its pod), spool depth and drops as its batches reported them, and LATE
// for one that missed three intervals. A real collector (HTTP on loopback, SQLite) whose clock
// the test moves; agents enroll over HTTP and post batches as agents do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageText } from '../../../cli/commands/agents.js';
import { run } from '../cli/run.js';
import { post, startTestCollector, type TestCollector } from './harness.js';

function batch(id: string, agent: string, at: string, spool: { depth: number; dropped: number }): string {
  const header = {
    t: 'batch',
    v: 1,
    batchId: id,
    agent,
    agentVersion: '9.8.7',
    planRevision: null,
    startedAt: at,
    finishedAt: at,
    spoolDropped: spool.dropped,
    spoolDepth: spool.depth,
  };
  return `${JSON.stringify(header)}\n`;
}

interface Row {
  name: string;
  version: string;
  lastSeen: string;
  late: boolean;
  keyAgeMs: number | null;
  keyCreatedAt: string | null;
  enrolledBy: string | null;
  spoolDepth: number;
  spoolDropped: number;
  pod: Record<string, unknown> | null;
  workloads: string[];
}

describe('agents: last seen, version, key age, pod, spool, late', () => {
  let c: TestCollector;
  let cwd: string;
  let offset = 0;
  const clock = () => Date.now() + offset;
  const send = (token: string, agent: string, id: string, spool: { depth: number; dropped: number }) =>
    post(c.url, '/v1/observations', token, batch(id, agent, new Date(clock()).toISOString(), spool), {
      'content-type': 'application/x-ndjson',
      'idempotency-key': id,
    });

  beforeAll(async () => {
    c = await startTestCollector({ interval: '1m' }, undefined, clock);
    cwd = mkdtempSync(join(tmpdir(), 'pd-agents-'));
  });
  afterAll(async () => {
    await c.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('lists each agent with its key age, pod and spool, and marks the late one', async () => {
    const now = new Date(clock()).toISOString();
    const { token: secret } = await c.running.store.createToken({
      name: 'fleet',
      role: 'enroll',
      now,
      scope: ['127.0.0.0/8'],
    });
    // A host agent with a token made by hand: it reports, then falls silent.
    const { token: old } = await c.running.store.createToken({ name: 'edge-old', role: 'agent', now });
    expect((await send(old, 'edge-old', 'o-1', { depth: 0, dropped: 0 })).status).toBe(200);

    offset += 10 * 60_000; // ten intervals of 1m later
    // A sidecar enrolls with its pod; its batches need not repeat it.
    const pod = { name: 'cart-1', namespace: 'shop', ip: '127.0.0.9', node: 'node-1', labels: { app: 'cart' } };
    const enrolled = await post(
      c.url,
      '/v1/enroll',
      secret,
      JSON.stringify({
        name: 'shop/cart-1',
        host: 'cart-1',
        version: '9.8.7',
        scope: ['127.0.0.0/8'],
        pod,
      }),
      { 'content-type': 'application/json' },
    );
    expect(enrolled.status, await enrolled.clone().text()).toBe(201);
    const key = (await enrolled.json()).key as string;
    expect((await send(key, 'shop/cart-1', 'c-1', { depth: 3, dropped: 2 })).status).toBe(200);
    expect((await send(key, 'shop/cart-1', 'c-2', { depth: 1, dropped: 5 })).status).toBe(200);

    const json = await run(['agents', '--collector', c.url, '--format', 'json'], cwd, {
      PORTDRIFT_TOKEN: c.tokens.reader,
    });
    expect(json.code, json.err).toBe(0);
    const rows = JSON.parse(json.out).agents as Row[];
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(by['shop/cart-1']).toMatchObject({
      version: '9.8.7',
      late: false,
      spoolDepth: 1,
      spoolDropped: 7,
      pod,
      enrolledBy: expect.stringMatching(/^tok_/),
    });
    expect(by['shop/cart-1']!.keyAgeMs).toBeLessThan(60_000);
    expect(by['edge-old']).toMatchObject({ late: true, pod: null, enrolledBy: null, spoolDepth: 0 });
    // The hand-made key was created ten minutes ago on the collector's clock.
    expect(by['edge-old']!.keyAgeMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(by['edge-old']!.keyAgeMs).toBeLessThan(11 * 60_000);

    const table = await run(['agents', '--collector', c.url, '--format', 'table'], cwd, {
      PORTDRIFT_TOKEN: c.tokens.reader,
    });
    expect(table.code, table.err).toBe(0);
    const lines = table.out.trim().split('\n');
    expect(lines[0]).toMatch(/^AGENT\s+VERSION\s+LAST SEEN\s+STATUS\s+KEY AGE\s+SPOOL\s+DROPPED\s+BATCHES\s+POD$/);
    const line = (name: string) => lines.find((l) => l.startsWith(`${name} `))!.split(/\s{2,}/);
    // Ten minutes on the collector's clock, and the few seconds the test itself took.
    const tenMinutes = expect.stringMatching(/^10m(\d+s)?$/);
    expect(line('edge-old')).toEqual(['edge-old', '9.8.7', expect.any(String), 'LATE', tenMinutes, '0', '0', '1', '-']);
    expect(line('shop/cart-1')).toEqual([
      'shop/cart-1',
      '9.8.7',
      expect.any(String),
      'ok',
      expect.stringMatching(/^\d+s$/),
      '1',
      '7',
      '2',
      'shop/cart-1',
    ]);
  });

  it('key ages read as the two largest units', () => {
    expect(ageText(null)).toBe('-');
    expect(ageText(500)).toBe('0s');
    expect(ageText(45_000)).toBe('45s');
    expect(ageText(3 * 3_600_000 + 5 * 60_000 + 7000)).toBe('3h5m');
    expect(ageText(2 * 86_400_000 + 30_000)).toBe('2d');
  });
});
