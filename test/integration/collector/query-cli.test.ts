// The finding lifecycle and the query CLI against a real collector: damping over evaluations,
// moved/resolved transitions, ack with expiry, drift JSON in scan's shape, exit codes, an
// unreachable collector, and the token command on a real store file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run.js';
import { post, postBatch, startTestCollector, type TestCollector } from './harness.js';

const LOOP = '127.0.0.1';
const movedBatch = (id: string) => ({
  id,
  sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5432,5434-5442' }],
  obs: [{ host: LOOP, ip: LOOP, port: 5433, state: 'open' as const }],
});
const backBatch = (id: string) => ({
  id,
  sweeps: [{ host: LOOP, ip: LOOP, ports: '5422-5442', closed: '5422-5431,5433-5442' }],
  obs: [{ host: LOOP, ip: LOOP, port: 5432, state: 'open' as const }],
});

describe('lifecycle and query CLI against a real collector', () => {
  let c: TestCollector;
  let cwd: string;
  const cli = (args: string[], token: string) => run([...args, '--collector', c.url], cwd, { PORTDRIFT_TOKEN: token });
  const evaluate = async () => {
    await c.running.collector.idle();
    await c.running.collector.evaluateNow();
  };

  beforeAll(async () => {
    c = await startTestCollector({ cycles: 2 });
    cwd = mkdtempSync(join(tmpdir(), 'pd-cli-'));
  });
  afterAll(async () => {
    await c.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it(
    '--token-file reads the token from a file (a systemd ' +
      'credential, a mounted secret), relative to the working directory',
    async () => {
      writeFileSync(join(cwd, 'reader.token'), `${c.tokens.reader}\n`);
      const r = await run(['agents', '--collector', c.url, '--token-file', 'reader.token', '--format', 'json'], cwd);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toHaveProperty('agents');
      writeFileSync(join(cwd, 'wrong.token'), 'not-a-token\n');
      const denied = await run(['agents', '--collector', c.url, '--token-file', 'wrong.token'], cwd);
      expect(denied.code).toBe(1);
      expect(denied.err).toMatch(/HTTP 401/);
    },
  );

  it(
    'opens a moved finding only after two cycles (not on the refresh ' +
      'after a batch), and drift prints it in scan JSON shape with exit 2',
    async () => {
      expect((await postBatch(c.url, c.tokens.agent, movedBatch('m1'))).status).toBe(200);
      await c.running.collector.idle(); // the evaluation after the batch only refreshes: no cycle yet
      let r = await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader);
      expect(JSON.parse(r.out).findings).toEqual([]);
      expect(r.code).toBe(0);
      await evaluate(); // cycle 1: pending, not listed
      expect(
        JSON.parse((await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader)).out).findings,
      ).toEqual([]);
      await evaluate(); // cycle 2: open
      r = await cli(['drift', '--format', 'json'], c.tokens.reader);
      expect(r.code).toBe(2);
      const report = JSON.parse(r.out);
      expect(Object.keys(report)).toEqual(['version', 'generatedAt', 'summary', 'findings']);
      expect(Object.keys(report.summary)).toEqual(['resources', 'endpoints', 'observed', 'findings', 'byKind']);
      const moved = report.findings.find((f: { kind: string }) => f.kind === 'moved');
      expect(moved).toMatchObject({
        resource: 'aws_db_instance.orders',
        host: LOOP,
        port: 5432,
        observedPort: 5433,
        state: 'closed',
        agent: 'agent-1',
        source: { file: 'main.tf', line: 3 },
        ack: null,
      });
      expect(Object.keys(moved)).toEqual([
        'id',
        'kind',
        'severity',
        'resource',
        'source',
        'host',
        'port',
        'observedPort',
        'state',
        'agent',
        'firstSeen',
        'lastSeen',
        'message',
        'suggestion',
        'ack',
      ]);
      expect((await cli(['drift', '--fail-on', 'moved', '--format', 'json'], c.tokens.reader)).code).toBe(2);
      expect((await cli(['drift', '--format', 'table'], c.tokens.reader)).out).toContain('5433');
      const sarif = JSON.parse((await cli(['drift', '--format', 'sarif'], c.tokens.reader)).out);
      expect(
        sarif.runs[0].results.some(
          (x: {
            locations: Array<{
              physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
            }>;
          }) => x.locations[0]!.physicalLocation.region.startLine === 3,
        ),
      ).toBe(true);
      const uris = (log: {
        runs: Array<{
          results: Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }>;
        }>;
      }) => new Set(log.runs[0]!.results.map((x) => x.locations[0]!.physicalLocation.artifactLocation.uri));
      expect(uris(sarif).has('main.tf')).toBe(true);
      const prefixed = JSON.parse(
        (await cli(['drift', '--format', 'sarif', '--path-prefix', 'infra/prod dir/'], c.tokens.reader)).out,
      );
      expect(uris(prefixed).has('infra/prod%20dir/main.tf')).toBe(true);
      // The flag's former name still works.
      const former = JSON.parse(
        (await cli(['drift', '--format', 'sarif', '--sarif-prefix', 'infra'], c.tokens.reader)).out,
      );
      expect(uris(former).has('infra/main.tf')).toBe(true);
      const junit = (await cli(['drift', '--format', 'junit'], c.tokens.reader)).out;
      expect(junit).toMatch(/^<\?xml[\s\S]*<testsuite[\s\S]*iac: main\.tf:3\n/);
      expect(
        (await cli(['drift', '--format', 'junit', '--path-prefix', 'infra/prod dir/'], c.tokens.reader)).out,
      ).toContain('iac: infra/prod dir/main.tf:3\n');
      expect((await cli(['drift', '--format', 'markdown'], c.tokens.reader)).out).toMatch(/\|/);
    },
  );

  it(
    'drift leaves out what .portdriftignore lists (the working ' +
      "directory's, or --ignore-file), counts it, and exits 0",
    async () => {
      const rule = 'moved aws_db_instance.orders 127.0.0.1:5432 # the orders DB move is tracked in OPS-7\n';
      writeFileSync(join(cwd, '.portdriftignore'), rule);
      try {
        const r = await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader);
        expect(r.code, r.err).toBe(0);
        expect(JSON.parse(r.out)).toMatchObject({ findings: [], summary: { ignored: 1 } });
        expect((await cli(['drift', '--format', 'table', '--kind', 'moved'], c.tokens.reader)).out).toContain(
          'ignored 1',
        );
      } finally {
        rmSync(join(cwd, '.portdriftignore'));
      }
      writeFileSync(join(cwd, 'other.ignore'), rule);
      expect((await cli(['drift', '--kind', 'moved', '--ignore-file', 'other.ignore'], c.tokens.reader)).code).toBe(0);
      // A broken rule names its file and line and stops the command: it never reports half-ignored.
      writeFileSync(join(cwd, 'broken.ignore'), `${rule}moved aws_db_instance.orders\n`);
      const broken = await cli(['drift', '--ignore-file', 'broken.ignore'], c.tokens.reader);
      expect(broken.code).toBe(1);
      expect(broken.err).toMatch(/broken\.ignore:2/);
      // An --ignore-file that does not exist is an error; the default one may be absent.
      expect((await cli(['drift', '--ignore-file', 'missing.ignore'], c.tokens.reader)).err).toMatch(
        /missing\.ignore: cannot read/,
      );
      expect((await cli(['drift', '--kind', 'moved'], c.tokens.reader)).code).toBe(2);
    },
  );

  it('acknowledges with an expiry: listed with its ack, not failing, then counting again after it lapses', async () => {
    const id = JSON.parse((await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader)).out)
      .findings[0].id;
    expect((await cli(['ack', id, '--reason', 'planned'], c.tokens.reader)).code).toBe(1);
    const r = await cli(['ack', id, '--reason', 'migration this week', '--expires', '1h'], c.tokens.admin);
    expect(r.code).toBe(0);
    const listed = JSON.parse((await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader)).out)
      .findings[0];
    expect(listed.ack).toMatchObject({ by: 'admin-1', reason: 'migration this week' });
    expect((await cli(['drift', '--format', 'json', '--fail-on', 'moved'], c.tokens.reader)).code).toBe(0);
    // A short expiry through the API, then an evaluation after it passed.
    const soon = new Date(Date.now() + 300).toISOString();
    expect(
      (
        await post(
          c.url,
          `/v1/findings/${id}/ack`,
          c.tokens.admin,
          JSON.stringify({ reason: 'brief', expiresAt: soon }),
          { 'content-type': 'application/json' },
        )
      ).status,
    ).toBe(200);
    await new Promise((res) => setTimeout(res, 400));
    expect(
      JSON.parse((await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader)).out).findings[0].ack,
    ).toBeNull();
    await evaluate();
    const h = JSON.parse(
      (await cli(['history', '--format', 'json', '--finding', id], c.tokens.reader)).out,
    ).entries.map((e: { event: string }) => e.event);
    expect(h).toEqual(['opened', 'acknowledged', 'acknowledged', 'unacknowledged']);
    expect((await cli(['drift', '--format', 'json', '--fail-on', 'moved'], c.tokens.reader)).code).toBe(2);
    const bad = await post(c.url, `/v1/findings/${id}/ack`, c.tokens.admin, JSON.stringify({ expires: '1h' }), {
      'content-type': 'application/json',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/^reason: is required/);
  });

  it('resolves after two absent cycles and lists it under --status resolved', async () => {
    await postBatch(c.url, c.tokens.agent, backBatch('b1'));
    await c.running.collector.idle(); // refresh only: still open
    expect(
      JSON.parse((await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader)).out).findings,
    ).toHaveLength(1);
    await evaluate(); // cycle 1: absent once, still open
    expect(
      JSON.parse((await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader)).out).findings,
    ).toHaveLength(1);
    await evaluate(); // cycle 2: resolved
    expect(
      JSON.parse((await cli(['drift', '--format', 'json', '--kind', 'moved'], c.tokens.reader)).out).findings,
    ).toHaveLength(0);
    const resolved = JSON.parse(
      (await cli(['drift', '--format', 'json', '--status', 'resolved', '--kind', 'moved'], c.tokens.reader)).out,
    ).findings;
    expect(resolved).toHaveLength(1);
    expect(resolved[0].resolvedAt).toEqual(expect.any(String));
  });

  it('lists agents and history as tables and JSON', async () => {
    const a = await cli(['agents', '--format', 'json'], c.tokens.reader);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out).agents[0]).toMatchObject({ name: 'agent-1', batches: 2, late: false });
    expect((await cli(['agents', '--format', 'table'], c.tokens.reader)).out).toMatch(/^AGENT\s+VERSION/);
    expect((await cli(['history', '--format', 'table'], c.tokens.reader)).out).toMatch(/opened/);
  });

  it('an unreachable collector is exit 1 naming the URL', async () => {
    const r = await run(['drift', '--collector', 'http://127.0.0.1:9', '--token', 'x'], cwd);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot reach the collector at http:\/\/127\.0\.0\.1:9.*\[PD_COLLECTOR_UNREACHABLE\]/);
    const noToken = await run(['agents', '--collector', c.url], cwd);
    expect(noToken.code).toBe(1);
    expect(noToken.err).toMatch(/PORTDRIFT_TOKEN/);
  });

  it('token create prints a working token once; list shows no secret; revoke refuses it at once', async () => {
    const data = join(c.dir, 'pd.db');
    const created = await run(['token', 'create', '--data', data, '--role', 'reader', '--name', 'ci'], cwd);
    expect(created.code).toBe(0);
    const token = created.out.trim();
    expect((await cli(['agents', '--format', 'json'], token)).code).toBe(0);
    const list = await run(['token', 'list', '--data', data, '--format', 'json'], cwd);
    expect(list.out).not.toContain(token.slice(4));
    expect(JSON.parse(list.out).tokens.map((t: { name: string }) => t.name)).toContain('ci');
    expect((await run(['token', 'revoke', 'ci', '--data', data], cwd)).code).toBe(0);
    const after = await cli(['agents'], token);
    expect(after.code).toBe(1);
    expect(after.err).toMatch(/HTTP 401/);
    expect((await run(['token', 'create', '--data', data, '--role', 'root', '--name', 'x'], cwd)).code).toBe(1);
    expect((await run(['token', 'list', '--data', join(cwd, 'missing.db')], cwd)).code).toBe(1);
  });

  it(
    'ignore add / list / remove: a kind rule hides the ' + 'finding at once, reason required, reader cannot add',
    async () => {
      expect(
        (await cli(['ignore', 'add', '--kind', 'unobserved', '--host', '10.9.0.7', '--reason', 'x'], c.tokens.reader))
          .code,
      ).toBe(1);
      expect((await cli(['ignore', 'add', '--host', '10.9.0.7'], c.tokens.admin)).code).toBe(1);
      const unobserved = async () =>
        JSON.parse((await cli(['drift', '--format', 'json', '--kind', 'unobserved'], c.tokens.reader)).out).findings
          .length as number;
      await evaluate();
      await evaluate();
      expect(await unobserved()).toBeGreaterThan(0);
      const added = await cli(
        [
          'ignore',
          'add',
          '--resource',
          'aws_elasticache_cluster.*',
          '--kind',
          'unobserved',
          '--reason',
          'no agent in that subnet yet',
          '--expires',
          '30d',
        ],
        c.tokens.admin,
      );
      expect(added.code, added.err).toBe(0);
      const id = JSON.parse(added.out).ignore.id;
      expect(await unobserved()).toBe(0);
      expect((await cli(['ignore', 'list', '--format', 'table'], c.tokens.reader)).out).toMatch(
        /no agent in that subnet yet/,
      );
      expect((await cli(['ignore', 'remove', id], c.tokens.admin)).code).toBe(0);
      expect(await unobserved()).toBeGreaterThan(0);
    },
  );
});
