// Fleets of agents: one enroll secret, many agents, each with its own key bound to its name and
// scope. Real processes of dist/cli/main.js (collector, agents, `token` and `agents` commands),
// real HTTP on loopback, a real SQLite file. The agents probe only 127.0.0.1 (the plan's one host,
// their --scope 127.0.0.0/8), so they run without a namespace lab.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, ROOT, killAll, killEach, portdrift, requireBuild, sleep, type Proc } from './harness.js';
import { get, post, postBatch } from '../collector/harness.js';

const TF = `resource "aws_db_instance" "orders" {
  engine = "postgres"
  port   = 5432
}
`;
const TARGETS = `targets:
  - resource: aws_db_instance.orders
    hosts: [127.0.0.1]
`;

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000, cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface AgentRow {
  name: string;
  batches: number;
}

// The fleet's story and the late agent share nothing (each its own collector, store and ports, and
// each stops only its own processes) and mostly wait on agent intervals: they run at once. The
// bad-input cases run afterwards, alone: their many `token` commands run synchronously.
// Its steps build on each other: one after the other.
const step = it.sequential;
describe('enrollment: one enroll secret, a fleet of agents with their own keys', { concurrent: true }, () => {
  let dir: string;
  let data: string;
  let url: string;
  let reader: string;
  let secretFile: string;
  const agents: Record<string, Proc> = {};
  const mine: Proc[] = [];

  const agentRows = async (): Promise<AgentRow[]> => (await (await get(url, '/v1/agents', reader)).json()).agents;
  const batchesOf = async (name: string) => (await agentRows()).find((a) => a.name === name)?.batches ?? 0;
  const waitBatches = async (name: string, atLeast: number, timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if ((await batchesOf(name)) >= atLeast) return;
      await sleep(200);
    }
    const tail = agents[name]?.stderr.slice(-2000);
    throw new Error(`agent ${name}: fewer than ${atLeast} batches within ${timeoutMs} ms:\n${tail}`);
  };
  const startAgent = (name: string, extra: string[] = []): Proc => {
    const state = join(dir, `state-${name}`);
    const p = portdrift(`agent ${name}`, null, [
      'agent',
      '--collector',
      url,
      '--enroll-secret-file',
      secretFile,
      '--name',
      name,
      '--scope',
      '127.0.0.0/8',
      '--spool',
      state,
      '--interval',
      '500ms',
      '--min-interval',
      '500ms',
      '--timeout',
      '200ms',
      ...extra,
    ]);
    agents[name] = p;
    mine.push(p);
    return p;
  };
  const keyOf = (name: string) => readFileSync(join(dir, `state-${name}`, 'agent-key'), 'utf8').trim();

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'pd-enroll-'));
    writeFileSync(join(dir, 'main.tf'), TF);
    writeFileSync(join(dir, 'targets.yaml'), TARGETS);
    data = join(dir, 'pd.db');
    const r = cli(['token', 'create', '--data', data, '--role', 'reader', '--name', 'ops']);
    expect(r.code, r.err).toBe(0);
    reader = r.out.trim();
    const e = cli([
      'token',
      'create',
      '--data',
      data,
      '--role',
      'enroll',
      '--name',
      'fleet',
      '--scope',
      '127.0.0.0/8',
      '--expires',
      '1h',
    ]);
    expect(e.code, e.err).toBe(0);
    secretFile = join(dir, 'enroll-secret');
    writeFileSync(secretFile, `${e.out.trim()}\n`, { mode: 0o600 });
    const c = portdrift('collector', null, [
      'collector',
      '--listen',
      '127.0.0.1:0',
      '--iac',
      join(dir, 'main.tf'),
      '--targets',
      join(dir, 'targets.yaml'),
      '--data',
      data,
      '--debounce',
      '10ms',
    ]);
    mine.push(c);
    url = await c.waitFor('"listening on"', () => /listening on (http\S+?)["\s]/.exec(c.stderr)?.[1], 20_000);
  }, 30_000);

  afterAll(async () => {
    await killEach(mine);
    rmSync(dir, { recursive: true, force: true });
  });

  step(
    'two agents, one secret: two keys, two names, kept owner-only; a key speaks for its agent',
    async () => {
      startAgent('edge-a');
      startAgent('edge-b');
      await Promise.all([waitBatches('edge-a', 1), waitBatches('edge-b', 1)]);
      const [ka, kb] = [keyOf('edge-a'), keyOf('edge-b')];
      expect(ka).toMatch(/^pdt_/);
      expect(kb).toMatch(/^pdt_/);
      expect(ka).not.toBe(kb);
      for (const n of ['edge-a', 'edge-b']) {
        expect(statSync(join(dir, `state-${n}`, 'agent-key')).mode & 0o777).toBe(0o600);
      }

      const list = cli(['token', 'list', '--data', data, '--format', 'json']);
      type Listed = { id: string; name: string; role: string; scope: string[]; enrolledBy?: string; uses?: number };
      const tokens = JSON.parse(list.out).tokens as Listed[];
      const fleet = tokens.find((t) => t.name === 'fleet')!;
      expect(fleet).toMatchObject({ role: 'enroll', uses: 2, maxUses: null });
      const keys = tokens.filter((t) => t.enrolledBy === fleet.id);
      const byName = keys.sort((x, y) => x.name.localeCompare(y.name));
      expect(byName.map((t) => [t.name, t.role, t.scope])).toEqual([
        ['edge-a', 'agent', ['127.0.0.0/8']],
        ['edge-b', 'agent', ['127.0.0.0/8']],
      ]);

      // A's key posting as B: refused, nothing stored under B.
      const before = await batchesOf('edge-b');
      const r = await postBatch(url, ka, { id: 'forged-1', agent: 'edge-b' });
      expect(r.status).toBe(403);
      expect((await r.json()).error.code).toBe('PD_HTTP_FORBIDDEN');
      expect(await batchesOf('edge-b')).toBeGreaterThanOrEqual(before);

      // The enroll secret itself may do nothing but enroll.
      const secret = readFileSync(secretFile, 'utf8').trim();
      expect((await get(url, '/v1/plan', secret)).status).toBe(403);
      expect((await get(url, '/v1/findings', secret)).status).toBe(403);
    },
    60_000,
  );

  step(
    'a restarted agent uses its kept key and does not enroll again',
    async () => {
      const a = agents['edge-a']!;
      a.signal('SIGTERM');
      expect((await a.waitExit(15_000)).code).toBe(0);
      const key = keyOf('edge-a');
      const n = await batchesOf('edge-a');
      startAgent('edge-a');
      await waitBatches('edge-a', n + 1);
      expect(keyOf('edge-a')).toBe(key);
      expect(agents['edge-a']!.messages('enrolled: the agent key is kept in the state directory')).toEqual([]);
    },
    60_000,
  );

  step(
    'agents revoke A: A is refused 401 and backs off with a clear error, B goes on',
    async () => {
      const ka = keyOf('edge-a');
      const r = cli(['agents', 'revoke', 'edge-a', '--data', data]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/revoked 1 key\(s\) of agent edge-a/);
      expect((await get(url, '/v1/plan', ka)).status).toBe(401);
      const a = agents['edge-a']!;
      const refused = () =>
        a.logs().filter((l) => typeof l.err === 'string' && / 401 PD_HTTP_UNAUTHORIZED/.test(l.err));
      await a.waitFor('a 401 in the log', () => refused().length > 0 || undefined, 10_000);
      expect(String(refused()[0]!.err)).toMatch(/refused \(revoked\?\); an operator must give it a new one/);
      const b0 = await batchesOf('edge-b');
      const count0 = refused().length;
      await sleep(3000);
      // One plan request per sweep interval at most (500 ms), and delivery backs off: no spinning.
      expect(refused().length - count0).toBeLessThanOrEqual(8);
      expect(a.exit).toBeNull();
      expect(await batchesOf('edge-b')).toBeGreaterThan(b0);
    },
    60_000,
  );

  step(
    'agents rotate B: a new key on its next request, no gap; the old key ends at the first use',
    async () => {
      const old = keyOf('edge-b');
      const r = cli(['agents', 'rotate', 'edge-b', '--data', data]);
      expect(r.code, r.err).toBe(0);
      const b = agents['edge-b']!;
      await b.waitForLog("the collector rotated this agent's key: the new key is kept and used", 10_000);
      const n = await batchesOf('edge-b');
      await waitBatches('edge-b', n + 2);
      const fresh = keyOf('edge-b');
      expect(fresh).not.toBe(old);
      expect((await get(url, '/v1/plan', old)).status).toBe(401);
      expect((await get(url, '/v1/plan', fresh)).status).toBe(200);
      expect(b.logs().filter((l) => typeof l.err === 'string' && /401/.test(l.err))).toEqual([]);
    },
    60_000,
  );

  step(
    'the enroll secret revoked: a third agent cannot enroll (401 names why), B keeps working',
    async () => {
      const r = cli(['token', 'revoke', 'fleet', '--data', data]);
      expect(r.code, r.err).toBe(0);
      const c = startAgent('edge-c');
      const exit = await c.waitExit(20_000);
      expect(exit.code).toBe(1);
      expect(c.stderr).toMatch(/POST \/v1\/enroll: the collector answered 401 PD_ENROLL_SECRET_REVOKED/);
      expect(() => keyOf('edge-c')).toThrow(/ENOENT/);
      const n = await batchesOf('edge-b');
      await waitBatches('edge-b', n + 1);
    },
    60_000,
  );
});

describe('an agent started before its collector', { concurrent: true }, () => {
  it('keeps trying to enroll (backing off) and enrolls once the collector is up', async () => {
    requireBuild();
    const dir = mkdtempSync(join(tmpdir(), 'pd-enroll-late-'));
    const procs: Proc[] = [];
    try {
      writeFileSync(join(dir, 'main.tf'), TF);
      writeFileSync(join(dir, 'targets.yaml'), TARGETS);
      const data = join(dir, 'pd.db');
      const e = cli([
        'token',
        'create',
        '--data',
        data,
        '--role',
        'enroll',
        '--name',
        'late',
        '--scope',
        '127.0.0.0/8',
      ]);
      expect(e.code, e.err).toBe(0);
      const secretFile = join(dir, 'secret');
      writeFileSync(secretFile, e.out, { mode: 0o600 });
      const args = ['--iac', join(dir, 'main.tf'), '--targets', join(dir, 'targets.yaml'), '--data', data];
      const listening = (p: Proc) => () => /listening on (http\S+?)["\s]/.exec(p.stderr)?.[1];
      // Learn a free port, then stop the collector so that nothing listens there.
      const first = portdrift('collector', null, ['collector', '--listen', '127.0.0.1:0', ...args]);
      procs.push(first);
      const url = await first.waitFor('"listening on"', listening(first), 20_000);
      first.signal('SIGTERM');
      await first.waitExit(15_000);
      const agent = portdrift('agent late', null, [
        'agent',
        '--collector',
        url,
        '--enroll-secret-file',
        secretFile,
        '--name',
        'late-1',
        '--scope',
        '127.0.0.0/8',
        '--state-dir',
        join(dir, 'state'),
        '--interval',
        '500ms',
        '--min-interval',
        '500ms',
        '--timeout',
        '200ms',
      ]);
      procs.push(agent);
      await agent.waitForLog('cannot enroll yet; retrying', 30_000);
      const port = new URL(url).port;
      const second = portdrift('collector again', null, ['collector', '--listen', `127.0.0.1:${port}`, ...args]);
      procs.push(second);
      await second.waitFor('"listening on"', listening(second), 20_000);
      await agent.waitForLog('enrolled: the agent key is kept in the state directory', 90_000);
      await agent.waitForLog('sweep done', 20_000);
      expect(readFileSync(join(dir, 'state', 'agent-key'), 'utf8')).toMatch(/^pdt_/);
    } finally {
      await killEach(procs);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});

describe('POST /v1/enroll refuses bad input, storing nothing', () => {
  let dir: string;
  let data: string;
  let url: string;
  let collector: Proc;

  const secret = (args: string[]): string => {
    const r = cli(['token', 'create', '--data', data, '--role', 'enroll', ...args]);
    expect(r.code, r.err).toBe(0);
    return r.out.trim();
  };
  const enroll = async (bearer: string | null, body: unknown) => {
    const r = await post(url, '/v1/enroll', bearer, JSON.stringify(body), { 'content-type': 'application/json' });
    return { status: r.status, body: await r.json() };
  };
  const ident = (name: string, over: Record<string, unknown> = {}) => ({
    name,
    host: 'h1',
    version: '0.1.0',
    scope: ['10.1.2.0/24'],
    ...over,
  });
  const listed = () => JSON.parse(cli(['token', 'list', '--data', data, '--format', 'json']).out).tokens;
  const tokenCount = () => listed().length as number;
  const refused = (code: string) => ({ status: 401, body: { error: { code } } });

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'pd-enroll-bad-'));
    writeFileSync(join(dir, 'main.tf'), TF);
    writeFileSync(join(dir, 'targets.yaml'), TARGETS);
    data = join(dir, 'pd.db');
    cli(['token', 'create', '--data', data, '--role', 'reader', '--name', 'ops']);
    collector = portdrift('collector', null, [
      'collector',
      '--listen',
      '127.0.0.1:0',
      '--iac',
      join(dir, 'main.tf'),
      '--targets',
      join(dir, 'targets.yaml'),
      '--data',
      data,
    ]);
    const listening = () => /listening on (http\S+?)["\s]/.exec(collector.stderr)?.[1];
    url = await collector.waitFor('"listening on"', listening, 20_000);
  }, 30_000);

  afterAll(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong, expired, exhausted or revoked secret: 401 with a code that says which', async () => {
    const good = secret(['--name', 'ten', '--scope', '10.0.0.0/8', '--max-uses', '1']);
    const expired = secret(['--name', 'old', '--scope', '10.0.0.0/8', '--expires', '1ms']);
    const revoked = secret(['--name', 'gone', '--scope', '10.0.0.0/8']);
    expect(cli(['token', 'revoke', 'gone', '--data', data]).code).toBe(0);
    await sleep(20);
    const n = tokenCount();
    expect(await enroll(null, ident('x1'))).toMatchObject(refused('PD_ENROLL_SECRET_INVALID'));
    expect(await enroll('pdt_nonsense', ident('x1'))).toMatchObject(refused('PD_ENROLL_SECRET_INVALID'));
    expect(await enroll(expired, ident('x1'))).toMatchObject(refused('PD_ENROLL_SECRET_EXPIRED'));
    expect(await enroll(revoked, ident('x1'))).toMatchObject(refused('PD_ENROLL_SECRET_REVOKED'));
    expect(tokenCount()).toBe(n);
    const first = await enroll(good, ident('x1'));
    expect(first).toMatchObject({ status: 201, body: { agent: 'x1', scope: ['10.1.2.0/24'] } });
    expect(first.body.key).toMatch(/^pdt_/);
    expect(await enroll(good, ident('x2'))).toMatchObject(refused('PD_ENROLL_SECRET_EXHAUSTED'));
    // An agent key is no enroll secret.
    expect(await enroll(first.body.key, ident('x3'))).toMatchObject(refused('PD_ENROLL_SECRET_INVALID'));
    expect(tokenCount()).toBe(n + 1);
  });

  it('garbage identity fields: 400 naming each field; nothing stored, no use counted', async () => {
    const s = secret(['--name', 'wide', '--scope', '10.0.0.0/8', '--max-uses', '3']);
    const n = tokenCount();
    const bad = await enroll(s, {
      name: '../evil name',
      host: 'h'.repeat(300),
      version: 'v1\u001b[31m',
      scope: ['10.0.0.0/8', 'nonsense', 42],
      pod: { ip: 'not-an-ip', name: 'p\n2' },
      extra: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('PD_HTTP_BAD_REQUEST');
    expect(bad.body.error.details.problems).toEqual([
      'extra: unknown field',
      'name: letters, digits and ._:/@- only, starting with a letter or digit',
      'host: must be 1 to 253 characters (got 300)',
      'version: must not contain control characters',
      'scope[1]: "nonsense" is not a CIDR: "nonsense" is not an IPv4 or IPv6 address',
      'scope[2]: must be a string',
      'pod.name: must not contain control characters',
      'pod.ip: not an IP address',
    ]);
    expect((await enroll(s, [])).status).toBe(400);
    const notJson = await post(url, '/v1/enroll', s, '{', { 'content-type': 'application/json' });
    expect(notJson.status).toBe(400);
    expect(tokenCount()).toBe(n);
    const list = listed();
    expect(list.find((t: { name: string }) => t.name === 'wide').uses).toBe(0);
  });

  it("a scope outside the secret's: 403 naming the CIDR", async () => {
    const s = secret(['--name', 'narrow', '--scope', '10.1.0.0/16,fd00::/8']);
    const r = await enroll(s, ident('y1', { scope: ['10.1.2.0/24', '10.2.0.0/24', '10.0.0.0/8', 'fd00:1::/64'] }));
    expect(r.status).toBe(403);
    const outside = ['10.2.0.0/24', '10.0.0.0/8'];
    expect(r.body.error).toMatchObject({ code: 'PD_ENROLL_OUT_OF_SCOPE', details: { outside } });
    expect(r.body.error.message).toMatch(/^scope 10\.2\.0\.0\/24, 10\.0\.0\.0\/8 is outside the scope of the enroll/);
  });

  it('a name a live agent holds is 409 until `agents revoke NAME`; then it enrolls again', async () => {
    const s = secret(['--name', 'names', '--scope', '10.0.0.0/8']);
    expect((await enroll(s, ident('db-1'))).status).toBe(201);
    const again = await enroll(s, ident('db-1', { host: 'thief' }));
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'PD_AGENT_NAME_TAKEN' } } });
    expect(again.body.error.message).toMatch(/portdrift agents revoke db-1/);
    expect(cli(['agents', 'revoke', 'db-1', '--data', data]).code).toBe(0);
    const pod = { name: 'db-1-x', namespace: 'ops', ip: '10.1.2.3', node: 'n1' };
    expect((await enroll(s, ident('db-1', { pod }))).status).toBe(201);
    const unknown = cli(['agents', 'revoke', 'nobody', '--data', data]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no live agent key for agent "nobody"/);
  });

  it('token create --role enroll needs --scope; --expires and --max-uses are for enroll secrets', () => {
    const create = (...args: string[]) => cli(['token', 'create', '--data', data, ...args]);
    expect(create('--role', 'enroll', '--name', 'e').err).toMatch(/an enroll secret needs --scope/);
    expect(cli(['token', 'create', '--data', data, '--role', 'reader', '--name', 'r', '--max-uses', '2']).err).toMatch(
      /--expires and --max-uses are for enroll secrets/,
    );
    expect(create('--role', 'enroll', '--name', 'e', '--scope', '10.0.0.0/8', '--max-uses', '0').err).toMatch(
      /--max-uses "0": a whole number of at least 1/,
    );
  });
});
