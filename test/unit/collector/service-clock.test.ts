// The collector's orchestration (collector/service.ts) on a hand-moved clock and a real SQLite
// file: the debounced evaluation after batches, the damping of the interval ticks, the IaC
// reload on the tick (and a failed one keeping the model in force), and retention. Each case
// runs in milliseconds; the end-to-end suites keep proving that the parts fit with real timers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../collector/ingest/parse.js';
import { type IacSource, type LoadedModel, loadModel } from '../../../collector/lifecycle/model.js';
import { Collector } from '../../../collector/service.js';
import { SqliteStore } from '../../../collector/store/sqlite.js';
import { PortdriftError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log.js';
import { type BatchSpec, ndjson, writeIac } from '../../integration/collector/harness.js';
import { ManualClock } from './manual-clock.js';

const INTERVAL = 60_000;
const DEBOUNCE = 2_000;

let iac: IacSource;
let model: LoadedModel;
const dirs: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-svc-iac-'));
  dirs.push(dir);
  writeIac(dir);
  const [paths, targetsFile] = [[join(dir, 'main.tf')], join(dir, 'targets.yaml')];
  iac = { paths, stateFiles: [], varFiles: [], clusterDomain: 'cluster.local', cwd: dir, targetsFile };
  model = await loadModel(iac);
});

const running: Array<{ c: Collector; store: SqliteStore }> = [];
afterEach(async () => {
  for (const { c, store } of running.splice(0)) {
    await c.stop();
    await store.close();
  }
});

/** A started collector on a fresh SQLite file; `load` is what each (re)load returns or throws. */
async function start(o: { load?: () => Promise<LoadedModel>; retentionMs?: number; batchRetentionMs?: number } = {}) {
  const clock = new ManualClock();
  const dir = mkdtempSync(join(tmpdir(), 'pd-svc-'));
  dirs.push(dir);
  const store = new SqliteStore(join(dir, 'pd.db'));
  const c = new Collector({
    store,
    iac,
    log: silentLogger(),
    intervalMs: INTERVAL,
    cycles: 2,
    debounceMs: DEBOUNCE,
    freshnessMs: 3 * INTERVAL,
    discovery: 'top',
    neighbourhood: 0,
    clock,
    load: o.load ?? (async () => model),
    ...(o.retentionMs ? { retentionMs: o.retentionMs } : {}),
    ...(o.batchRetentionMs ? { batchRetentionMs: o.batchRetentionMs } : {}),
  });
  running.push({ c, store });
  await c.start();
  const ingest = (b: Omit<BatchSpec, 'at'>) => c.ingest(parseBatch(ndjson({ ...b, at: clock.iso() })));
  return { c, clock, store, ingest };
}

const closed5432 = [{ host: '127.0.0.1', ip: '127.0.0.1', port: 5432, state: 'closed' as const }];
const open5432 = [{ host: '127.0.0.1', ip: '127.0.0.1', port: 5432, state: 'open' as const }];
const missing = async (c: Collector) =>
  (await c.report({ status: 'open' })).findings.filter((f) => f.kind === 'missing');

describe('collector orchestration on an injected clock', () => {
  it('evaluates once, debounceMs after the first of several batches, not per batch', async () => {
    const { c, clock, ingest } = await start();
    const before = c.counters.evaluations;
    for (let i = 0; i < 5; i++) await ingest({ id: `b-${i}`, obs: open5432 });
    expect(c.counters.evaluations).toBe(before);
    await clock.advance(DEBOUNCE - 1);
    expect(c.counters.evaluations).toBe(before);
    await clock.advance(1);
    expect(c.counters.evaluations).toBe(before + 1);
    expect(clock.pending()).toEqual([INTERVAL - DEBOUNCE]); // only the interval tick is left
  });

  it('opens a finding only after `cycles` ticks; batches between ticks never advance the damping', async () => {
    const { c, clock, ingest } = await start();
    await ingest({ id: 'c-1', obs: closed5432 });
    await clock.advance(DEBOUNCE); // a refresh right after the start: no cycle
    expect(await missing(c)).toEqual([]);
    await clock.advance(INTERVAL - DEBOUNCE); // tick 1 (first cycle: pending)
    expect(await missing(c)).toEqual([]);
    for (let i = 0; i < 5; i++) {
      await ingest({ id: `c-2-${i}`, obs: closed5432 });
      await clock.advance(DEBOUNCE); // refreshes within the interval: still pending
    }
    expect(await missing(c)).toEqual([]);
    await clock.advance(INTERVAL - 5 * DEBOUNCE); // tick 2: held for two cycles, opens
    const open = await missing(c);
    expect(open.map((f) => [f.port, f.severity])).toEqual([[5432, 'high']]);
  });

  it('resolves after `cycles` ticks without the drift, and counts every tick', async () => {
    const { c, clock, ingest } = await start();
    await ingest({ id: 'r-1', obs: closed5432 });
    await clock.advance(2 * INTERVAL);
    expect(await missing(c)).toHaveLength(1);
    await ingest({ id: 'r-2', obs: open5432 });
    await clock.advance(DEBOUNCE);
    expect(await missing(c)).toHaveLength(1); // one refresh is not a cycle
    await clock.advance(INTERVAL - DEBOUNCE);
    expect(await missing(c)).toHaveLength(1);
    await clock.advance(INTERVAL);
    expect(await missing(c)).toEqual([]);
    expect((await c.report({ status: 'resolved' })).findings.map((f) => f.kind)).toContain('missing');
  });

  it('reloads the IaC on each tick: a new model reaches the plan; a failed reload keeps the old one', async () => {
    let current = model;
    let fail = false;
    const { c, clock } = await start({
      load: async () => {
        if (fail) throw new PortdriftError('PD_IAC_PARSE', 'main.tf:1: broken');
        return current;
      },
    });
    const ports = async () => (await c.plan('agent-1', [])).targets.flatMap((t) => t.declared).sort();
    const before = await ports();
    const endpoints = model.model.endpoints.filter((e) => e.port !== 5432);
    const smaller = { ...model, revision: 'smaller', model: { ...model.model, endpoints } };
    current = smaller;
    await clock.advance(INTERVAL - 1);
    expect(await ports()).toEqual(before);
    await clock.advance(1);
    expect(c.model?.revision).toBe('smaller');
    expect(await ports()).not.toEqual(before);
    fail = true;
    const errors = c.counters.reloadErrors;
    await clock.advance(INTERVAL);
    expect(c.counters.reloadErrors).toBe(errors + 1);
    expect(c.model?.revision).toBe('smaller');
    expect(c.counters.reloads).toBeGreaterThanOrEqual(2);
  });

  it('a tick still running makes the next one skip instead of piling up', async () => {
    let release: (() => void) | undefined;
    let loads = 0;
    const { c, clock } = await start({
      load: async () => {
        loads++;
        if (loads === 2) await new Promise<void>((r) => (release = r));
        return model;
      },
    });
    const tick = clock.advance(INTERVAL); // tick 1 hangs in its reload
    await new Promise((r) => setImmediate(r));
    expect(loads).toBe(2);
    release!();
    await tick;
    await clock.advance(INTERVAL);
    expect(loads).toBe(3);
    await c.idle();
  });

  it('prunes on the tick: result rows past retentionMs and batch ids past batchRetentionMs', async () => {
    const { c, clock, store, ingest } = await start({ retentionMs: 2 * INTERVAL, batchRetentionMs: 2 * INTERVAL });
    expect((await ingest({ id: 'p-1', obs: open5432 })).replayed).toBe(false);
    expect((await ingest({ id: 'p-1', obs: open5432 })).replayed).toBe(true);
    expect((await store.stats()).batches).toBe(1);
    await clock.advance(INTERVAL); // not old enough yet
    expect((await store.stats()).batches).toBe(1);
    await clock.advance(2 * INTERVAL);
    expect((await store.stats()).batches).toBe(0);
    // The id is forgotten: a resend that old is stored again.
    expect((await ingest({ id: 'p-1', obs: open5432 })).replayed).toBe(false);
    await c.idle();
  });
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
