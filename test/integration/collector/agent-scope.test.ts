// An agent token carries the CIDRs its agent may report on (`token create --role agent --scope`).
// A batch with a record for an address outside them is refused whole (403 PD_RECORD_OUT_OF_SCOPE,
// the line named) and counted: a stolen token of one subnet's agent cannot turn another subnet's
// findings into something else. Real collector, real HTTP, real SQLite file, the real CLI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../collector/store/sqlite.js';
import { run } from '../cli/run.js';
import { BUILT, spawnCollector } from './child.js';
import { get, postBatch, startTestCollector, writeIac, type TestCollector } from './harness.js';

const LOOP = '127.0.0.1';
const sweep = (closed: string) => [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed }];
const open = (port: number) => [{ host: LOOP, ip: LOOP, port, state: 'open' as const }];
const moved = (id: string, agent: string) => ({ id, agent, sweeps: sweep('5422-5432,5434-5442'), obs: open(5433) });
// What the stolen token sent: the declared port open again and the moved one closed.
const forged = (id: string, agent: string) => ({ id, agent, sweeps: sweep('5422-5431,5433-5442'), obs: open(5432) });

describe('agent token scope', () => {
  let c: TestCollector;
  let cwd: string;
  let data: string;
  const token = async (name: string, scope: string): Promise<string> => {
    const r = await run(['token', 'create', '--data', data, '--role', 'agent', '--name', name, '--scope', scope], cwd);
    expect(r.code, r.err).toBe(0);
    return r.out.trim();
  };
  const findings = async (kind: string): Promise<Array<{ host: string; port: number; severity: string }>> =>
    (await (await get(c.url, `/v1/findings?kind=${kind}`, c.tokens.reader)).json()).findings;

  beforeAll(async () => {
    c = await startTestCollector({ cycles: 1 });
    cwd = mkdtempSync(join(tmpdir(), 'pd-scope-'));
    data = join(c.dir, 'pd.db');
  });
  afterAll(async () => {
    await c.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('refuses a batch with a record outside the token scope, names its line, stores none and counts it', async () => {
    const loop = await token('subnet-loop', '127.0.0.0/8');
    const elsewhere = await token('subnet-empty', '192.0.2.0/24');
    expect((await postBatch(c.url, loop, moved('m-1', 'subnet-loop'))).status).toBe(200);
    await c.running.collector.idle();
    await c.running.collector.evaluateNow();
    expect(await findings('moved')).toMatchObject([{ host: LOOP, port: 5432, severity: 'high' }]);

    const r = await postBatch(c.url, elsewhere, forged('f-1', 'subnet-empty'));
    expect(r.status).toBe(403);
    const { error } = await r.json();
    expect(error.code).toBe('PD_RECORD_OUT_OF_SCOPE');
    expect(error.message).toBe(
      'line 2: host: 127.0.0.1 is outside the scope of the token of agent "subnet-empty" (192.0.2.0/24); ' +
        '2 records of the batch lie outside it, and none of the batch was stored',
    );
    expect(error.details).toMatchObject({ line: 2, field: 'host', records: 2 });
    expect((await c.running.store.observations()).filter((o) => o.agent === 'subnet-empty')).toEqual([]);
    expect((await c.running.store.agents()).map((a) => a.name)).not.toContain('subnet-empty');
    await c.running.collector.idle();
    await c.running.collector.evaluateNow();
    expect(await findings('moved')).toMatchObject([{ host: LOOP, port: 5432, severity: 'high' }]);
    expect(await findings('undeclared')).toEqual([]);
    const metrics = await (await get(c.url, '/metrics', c.tokens.reader)).text();
    expect(metrics).toMatch(/^portdrift_ingest_out_of_scope_records_total 2$/m);
  });

  it('checks the address probed as well as an IP-literal host: a name at an address outside is refused', async () => {
    const t = await token('subnet-doc', '192.0.2.0/24');
    const at = (ip: string) => [{ host: 'db.internal', ip, port: 5432, state: 'open' as const }];
    const r = await postBatch(c.url, t, { id: 'x-1', agent: 'subnet-doc', obs: at('198.51.100.7') });
    expect(r.status).toBe(403);
    expect((await r.json()).error).toMatchObject({ code: 'PD_RECORD_OUT_OF_SCOPE', details: { line: 2, field: 'ip' } });
    const ok = await postBatch(c.url, t, { id: 'x-2', agent: 'subnet-doc', obs: at('192.0.2.9') });
    expect(ok.status).toBe(200);
  });

  it('token create --role agent needs --scope; the scope is validated, stored and listed', async () => {
    const create = (...args: string[]) => run(['token', 'create', '--data', data, ...args], cwd);
    const none = await create('--role', 'agent', '--name', 'no-scope');
    expect(none.code).toBe(1);
    expect(none.err).toContain('--scope');
    const bad = await create('--role', 'agent', '--name', 'bad-scope', '--scope', '10.0.0.1/8,nope');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--scope[0]: "10.0.0.1/8" is not a CIDR: host bits are set (did you mean 10.0.0.0/8?)');
    expect(bad.err).toContain('--scope[1]: "nope" is not a CIDR');
    const reader = await create('--role', 'reader', '--name', 'r-scope', '--scope', '10.0.0.0/8');
    expect(reader.code).toBe(1);
    expect(reader.err).toContain('--scope is for agent tokens');
    await token('two-nets', '10.1.0.0/16,fd00:1::/64');
    const listed = await run(['token', 'list', '--data', data, '--format', 'json'], cwd);
    const list = JSON.parse(listed.out).tokens as Array<{ name: string; scope: string[] | null }>;
    expect(list.find((t) => t.name === 'two-nets')!.scope).toEqual(['10.1.0.0/16', 'fd00:1::/64']);
    expect(list.find((t) => t.name === 'reader-1')!.scope).toBeNull();
  });

  it('an agent token from before scopes keeps working unrestricted, and token list warns about it', async () => {
    // The harness creates agent-1 through the store without a scope, as tokens of an older store are.
    const obs = [{ host: '10.9.0.7', ip: '10.9.0.7', port: 6379, state: 'open' as const }];
    expect((await postBatch(c.url, c.tokens.agent, { id: 'legacy-1', obs })).status).toBe(200);
    const table = await run(['token', 'list', '--data', data, '--format', 'table'], cwd);
    expect(table.out).toMatch(/agent-1 +agent +any \(no scope\)/);
    expect(table.err).toContain('agent token agent-1 has no scope: it may report on any address; replace it with one');
  });

  it("serves an agent only the plan targets inside its token's scope, whatever scope the agent asks for", async () => {
    const hosts = async (t: string, q = '') =>
      ((await (await get(c.url, `/v1/plan${q}`, t)).json()).targets as Array<{ host: string }>).map((x) => x.host);
    const empty = await token('plan-empty', '192.0.2.0/24');
    expect(await hosts(empty)).toEqual([]);
    expect(await hosts(empty, '?scope=0.0.0.0/0')).toEqual([]);
    const loop = await token('plan-loop', '127.0.0.0/8');
    expect(await hosts(loop)).toEqual([LOOP]);
    // The agent's own scope narrows further; it cannot widen the token's.
    expect(await hosts(loop, '?scope=10.0.0.0/8')).toEqual([]);
    expect(await hosts(loop, '?scope=127.0.0.1/32')).toEqual([LOOP]);
    // An agent token from before scopes is unrestricted, as before.
    expect(await hosts(c.tokens.agent)).toEqual(['10.9.0.7', LOOP]);
  });
});

describe.skipIf(!BUILT && !process.env.CI)('collector process with an unscoped token (needs `npm run build`)', () => {
  it('logs a warning naming the token at start-up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-scope-warn-'));
    try {
      writeIac(dir);
      const store = new SqliteStore(join(dir, 'pd.db'));
      const now = new Date().toISOString();
      await store.createToken({ name: 'old-agent', role: 'agent', now });
      await store.createToken({ name: 'new-agent', role: 'agent', now, scope: ['10.0.0.0/8'] });
      await store.close();
      const child = await spawnCollector(['--iac', 'main.tf', '--targets', 'targets.yaml', '--data', 'pd.db'], dir);
      child.proc.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      expect(child.stderr()).toContain('agent token old-agent has no scope: it may report on any address');
      expect(child.stderr()).not.toContain('new-agent');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
