// docs/design/architecture.md#quality-bars, durability: a collector killed with SIGKILL while batches stream in
// loses no acknowledged batch and stores none twice. Four senders post batches of 500
// observations (each batch on its own address, so its rows can be counted) to a child-process
// collector; it is killed mid-stream; the store is checked; a restarted collector is sent every
// batch again (as agents resend what was not acknowledged) and must store each exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../collector/store/sqlite-driver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../collector/store/sqlite.js';
import { BUILT, spawnCollector, type Child } from './child.js';
import { ndjson, writeIac } from './harness.js';

const PER_BATCH = 500;
const BATCHES = 400;
const ipOf = (i: number) => `127.1.${i >> 8}.${i & 255}`;
// Each batch on its own address of a host the model names (records of other hosts are dropped).
const batchOf = (i: number) => ({
  id: `dur-${i}`,
  obs: Array.from({ length: PER_BATCH }, (_, k) => ({
    host: '127.0.0.1',
    ip: ipOf(i),
    port: 1000 + k,
    state: 'open' as const,
  })),
});

async function send(url: string, token: string, i: number): Promise<{ status: number; replayed: boolean } | null> {
  const b = batchOf(i);
  try {
    const r = await fetch(new URL('/v1/observations', url), {
      method: 'POST',
      body: ndjson(b),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', 'idempotency-key': b.id },
    });
    await r.arrayBuffer();
    return { status: r.status, replayed: r.headers.get('idempotent-replayed') === 'true' };
  } catch {
    return null; // the collector died under this request: not acknowledged
  }
}

describe.skipIf(!BUILT && !process.env.CI)('durability: SIGKILL mid-ingest (needs `npm run build`)', () => {
  let dir: string;
  let token: string;
  let child: Child | undefined;
  const data = () => join(dir, 'pd.db');
  const args = () => [
    '--iac',
    join(dir, 'main.tf'),
    '--targets',
    join(dir, 'targets.yaml'),
    '--data',
    data(),
    '--debounce',
    '200ms',
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-durability-'));
    writeIac(dir);
    const s = new SqliteStore(data());
    token = (await s.createToken({ name: 'agent-1', role: 'agent', now: new Date().toISOString() })).token;
    await s.close();
  });
  afterAll(async () => {
    if (child && child.proc.exitCode === null) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged batch, none twice, and accepts the resend exactly once', async () => {
    child = await spawnCollector(args(), dir);
    const acked = new Set<number>();
    let next = 0;
    let killed = false;
    const sender = async () => {
      while (!killed && next < BATCHES) {
        const i = next++;
        const r = await send(child!.url, token, i);
        if (r?.status === 200) acked.add(i);
        if (!killed && acked.size >= 60) {
          killed = true;
          child!.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    expect(await child.exited).toBeNull(); // killed by the signal
    expect(acked.size).toBeGreaterThanOrEqual(60);
    const attempted = next;

    // The store after the crash: every acknowledged batch, with all its rows, counted once.
    const db = new Database(data());
    const ids = new Set(
      (db.prepare('SELECT batch_id FROM batches').all() as Array<{ batch_id: string }>).map((r) => r.batch_id),
    );
    for (const i of acked) expect(ids.has(`dur-${i}`), `acknowledged batch dur-${i} is missing`).toBe(true);
    const rows = db.prepare('SELECT count(*) AS n FROM current_state WHERE ip = ?');
    for (const i of acked) expect((rows.get(ipOf(i)) as { n: number }).n).toBe(PER_BATCH);
    const agent = db.prepare('SELECT batches, observations FROM agents WHERE name = ?').get('agent-1') as {
      batches: number;
      observations: number;
    };
    expect(agent).toEqual({ batches: ids.size, observations: ids.size * PER_BATCH });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    // Restart; resend everything that was attempted, as agents resend their spool.
    child = await spawnCollector(args(), dir);
    let replayed = 0;
    for (let i = 0; i < attempted; i++) {
      const r = await send(child.url, token, i);
      expect(r?.status).toBe(200);
      if (r!.replayed) replayed++;
    }
    expect(replayed).toBe(ids.size);
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const after = new Database(data(), { readonly: true });
    expect(after.prepare('SELECT batches, observations FROM agents').get()).toEqual({
      batches: attempted,
      observations: attempted * PER_BATCH,
    });
    expect((after.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n).toBe(attempted);
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    after.close();
  });
});
