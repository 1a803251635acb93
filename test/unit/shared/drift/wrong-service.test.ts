// `wrong-service`: the declared port answers, but the fingerprint names another service than the
// IaC expects. And `moved` prefers the candidate whose fingerprint is the expected service.
import { describe, expect, it } from 'vitest';
import { computeDrift, findingId } from '../../../../shared/drift/index.js';
import { formatDriftJson } from '../../../../shared/format/json.js';
import { formatJunit } from '../../../../shared/format/junit.js';
import { formatMarkdown } from '../../../../shared/format/markdown.js';
import { toSarif } from '../../../../shared/format/sarif.js';
import { formatTable } from '../../../../shared/format/table.js';
import type { DeclaredEndpoint, Finding, ServiceName } from '../../../../shared/types.js';
import { NOW, listen, model, obs, resource } from './build.js';

const H = '10.0.1.5';
const pairs = (r: { findings: Finding[] }): string[] =>
  r.findings.map((f) => `${f.kind}:${f.port}${f.observedPort ? `>${f.observedPort}` : ''}`);
const DB = 'aws_db_instance.orders';
const expecting = (service: ServiceName): Partial<DeclaredEndpoint> => ({
  source: { file: 'rds.tf', line: 14 },
  expect: { service, source: { file: 'rds.tf', line: 12 }, by: `engine "${service}"` },
});
const db = (port: number, service: ServiceName | null) =>
  model(
    [resource(DB, [H])],
    [listen(DB, H, port, service ? expecting(service) : { source: { file: 'rds.tf', line: 14 } })],
  );

describe('wrong-service', () => {
  it('a declared port answering another service than the IaC expects: one high finding at the expectation line', () => {
    const r = computeDrift(db(5432, 'postgres'), [obs(H, 5432, 'open', { service: 'redis' })], { now: NOW });
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      id: findingId('wrong-service', DB, H, 5432),
      kind: 'wrong-service',
      severity: 'high',
      resource: DB,
      source: { file: 'rds.tf', line: 12 },
      host: H,
      port: 5432,
      state: 'open',
      expectedService: 'postgres',
      observedService: 'redis',
      message: 'aws_db_instance.orders expects postgres on 10.0.1.5:5432; it answers redis',
    });
    expect(r.findings[0]!.suggestion).toContain('engine "postgres" at rds.tf:12');
    expect(r.summary.byKind).toEqual({ 'wrong-service': 1 });
  });

  it('none when the expected service answers, for unknown, without a fingerprint or without an expectation', () => {
    const none = (m: ReturnType<typeof db>, service?: string) => {
      const o = obs(H, m.endpoints[0]!.port, 'open', service !== undefined ? { service } : {});
      return computeDrift(m, [o], { now: NOW }).findings;
    };
    expect(none(db(5432, 'postgres'), 'postgres')).toEqual([]);
    expect(none(db(5432, 'postgres'), 'postgresql')).toEqual([]);
    expect(none(db(5432, 'postgres'), 'unknown')).toEqual([]);
    expect(none(db(5432, 'postgres'))).toEqual([]);
    // The port's usual service (5432 → postgres) is a guess, not an expectation.
    expect(none(db(5432, null), 'redis')).toEqual([]);
    // http and http2 are one family (a server may answer either hello); tls is not http.
    expect(none(db(8080, 'http'), 'http2')).toEqual([]);
    const tls = computeDrift(db(8080, 'http'), [obs(H, 8080, 'open', { service: 'tls' })], { now: NOW }).findings;
    const text = tls.map((f) => `${f.kind} ${f.expectedService}→${f.observedService}`);
    expect(text).toEqual(['wrong-service http→tls']);
  });

  it('every format shows it: json fields, the SARIF rule and properties, table, markdown and junit', () => {
    const r = computeDrift(db(5432, 'postgres'), [obs(H, 5432, 'open', { service: 'redis' })], { now: NOW });
    const json = JSON.parse(formatDriftJson(r));
    expect(json.findings[0]).toMatchObject({
      kind: 'wrong-service',
      expectedService: 'postgres',
      observedService: 'redis',
      source: { file: 'rds.tf', line: 12 },
    });
    type Run = { tool: { driver: { rules: Array<{ id: string }> } }; results: Array<Record<string, any>> };
    const run = (toSarif(r) as { runs: Run[] }).runs[0]!;
    const res = run.results[0]!;
    expect(run.tool.driver.rules[res.ruleIndex]!.id).toBe('wrong-service');
    expect(res.properties).toMatchObject({ expectedService: 'postgres', observedService: 'redis' });
    expect(res.locations[0].physicalLocation.region).toEqual({ startLine: 12 });
    expect(formatTable(r)).toMatch(
      /HIGH +wrong-service +aws_db_instance\.orders +10\.0\.1\.5:5432 \(postgres → redis\) +rds\.tf:12 /,
    );
    expect(formatMarkdown(r)).toContain(
      '| high | wrong-service | aws\\_db\\_instance.orders | 10.0.1.5:5432 (postgres → redis) | rds.tf:12 |',
    );
    const junit = formatJunit(r);
    expect(junit).toContain('<testsuite name="portdrift wrong-service"');
    expect(junit).toContain('expected service: postgres\nobserved service: redis');
  });
});

describe('moved: the expected service wins', () => {
  const closed = obs(H, 7000, 'closed');
  it('the candidate whose fingerprint is the IaC expectation is chosen over a nearer one', () => {
    const seen = [closed, obs(H, 7001, 'open', { service: 'redis' }), obs(H, 7004, 'open', { service: 'postgres' })];
    const r = computeDrift(db(7000, 'postgres'), seen, { now: NOW });
    expect(pairs(r)).toEqual(['moved:7000>7004', 'undeclared:7001']);
    expect(r.findings[0]).toMatchObject({ observedService: 'postgres' });
  });

  it('a fingerprint of another known service is no candidate: missing, and the port undeclared', () => {
    const r = computeDrift(db(7000, 'postgres'), [closed, obs(H, 7001, 'open', { service: 'redis' })], { now: NOW });
    expect(r.findings.map((f) => `${f.kind}:${f.port}`)).toEqual(['missing:7000', 'undeclared:7001']);
  });

  it('an unknown fingerprint is not a conflict: the nearby candidate still explains the move', () => {
    const seen = [obs(H, 5432, 'closed'), obs(H, 5433, 'open', { service: 'unknown' })];
    const r = computeDrift(db(5432, 'postgres'), seen, { now: NOW });
    expect(pairs(r)).toEqual(['moved:5432>5433']);
    expect(r.findings[0]!.observedService).toBeUndefined();
  });

  it('an https port and a tls fingerprint match (the fingerprint names the handshake, not https)', () => {
    const m = model([resource('aws_lb_listener.web', [H])], [listen('aws_lb_listener.web', H, 443)]);
    const seen = [obs(H, 443, 'closed'), obs(H, 440, 'open'), obs(H, 8443, 'open', { service: 'tls' })];
    const r = computeDrift(m, seen, { now: NOW });
    expect(pairs(r)).toEqual(['moved:443>8443', 'undeclared:440']);
  });
});
