// GET /metrics on prom-client: every collector has its own registry (two in one process keep
// their counts apart and both start), the process and Node.js series are there, and
// portdrift_build_info names the versions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../../shared/version.js';
import { type TestCollector, get, postBatch, startTestCollector } from './harness.js';

let a: TestCollector;
let b: TestCollector;

beforeAll(async () => {
  [a, b] = await Promise.all([startTestCollector(), startTestCollector()]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

const scrape = async (c: TestCollector): Promise<string> => {
  const r = await get(c.url, '/metrics', c.tokens.reader);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
  return r.text();
};

describe('GET /metrics', () => {
  it('keeps two collectors in one process apart: each counts only its own batches', async () => {
    const obs = [{ host: '127.0.0.1', ip: '127.0.0.1', port: 5432, state: 'open' as const }];
    expect((await postBatch(a.url, a.tokens.agent, { id: 'ma-1', obs })).status).toBe(200);
    expect((await postBatch(a.url, a.tokens.agent, { id: 'ma-2', obs })).status).toBe(200);
    expect((await postBatch(b.url, b.tokens.agent, { id: 'mb-1', obs })).status).toBe(200);
    const [ta, tb] = [await scrape(a), await scrape(b)];
    expect(ta).toMatch(/^portdrift_ingest_batches_total 2$/m);
    expect(tb).toMatch(/^portdrift_ingest_batches_total 1$/m);
    // A second scrape reports the same running totals (set, not added up again).
    expect(await scrape(a)).toMatch(/^portdrift_ingest_batches_total 2$/m);
    expect(ta).toMatch(/^portdrift_agent_last_seen_seconds\{agent="agent-1"\} \d+(\.\d+)?$/m);
    expect(ta).toMatch(/^portdrift_agent_spool_dropped_total\{agent="agent-1"\} 0$/m);
    expect(ta).toMatch(/^# TYPE portdrift_ingest_batches_total counter$/m);
    expect(ta).toMatch(/^# TYPE portdrift_findings_open gauge$/m);
  });

  it('serves process metrics and portdrift_build_info{version,node}', async () => {
    const text = await scrape(a);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_start_time_seconds \d+$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+$/m);
    const node = process.versions.node.replace(/\./g, '\\.');
    expect(text).toMatch(new RegExp(`^portdrift_build_info\\{version="${VERSION}",node="${node}"\\} 1$`, 'm'));
  });

  it('one SQLite collector leads and reaches its store; it names itself as /healthz does', async () => {
    const text = await scrape(a);
    expect(text).toMatch(/^portdrift_collector_leader 1$/m);
    expect(text).toMatch(/^portdrift_store_up 1$/m);
    const { replica } = (await (await fetch(`${a.url}/healthz`)).json()) as { replica: string };
    expect(text).toContain(`portdrift_collector_info{replica="${replica}",`);
  });

  it('lists every finding kind and severity, zeros included', async () => {
    const text = await scrape(b);
    const lines = text.split('\n').filter((l) => l.startsWith('portdrift_findings_open{'));
    expect(lines.length % 3).toBe(0);
    expect(lines.length).toBeGreaterThanOrEqual(9);
    expect(text).toMatch(/^portdrift_findings_open\{kind="missing",severity="low"\} 0$/m);
  });
});
