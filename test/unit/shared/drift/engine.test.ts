import { describe, expect, it } from 'vitest';
import { computeDrift, findingId } from '../../../../shared/drift/index.js';
import type { Finding } from '../../../../shared/types.js';
import { NOW, listen, many, model, obs, resource } from './build.js';

const H = '10.0.1.5';
const DB = 'aws_db_instance.orders';
const dbModel = (port = 5432, over = {}) =>
  model([resource(DB, [H])], [listen(DB, H, port, { source: { file: 'infra/rds.tf', line: 14 }, ...over })]);
const kinds = (fs: Finding[]) =>
  fs.map((f) => `${f.kind}:${f.host}:${f.port}${f.observedPort !== undefined ? `>${f.observedPort}` : ''}`);

describe('computeDrift: the finding kinds', () => {
  it('reports nothing when every declared port is open and nothing else is', () => {
    const r = computeDrift(dbModel(), [obs(H, 5432, 'open'), ...many(H, [5422, 5433, 5442], 'closed')], { now: NOW });
    expect(r.findings).toEqual([]);
    expect(r.summary).toEqual({ resources: 1, endpoints: 1, observed: 1, findings: 0, byKind: {} });
  });

  it(
    'moved: declared closed, a nearby undeclared port open ' + '→ one finding with observedPort, not also undeclared',
    () => {
      const r = computeDrift(dbModel(), [obs(H, 5432, 'closed'), obs(H, 5433, 'open')], { now: NOW });
      expect(r.findings).toHaveLength(1);
      const f = r.findings[0]!;
      expect(f).toMatchObject({
        kind: 'moved',
        severity: 'high',
        resource: DB,
        source: { file: 'infra/rds.tf', line: 14 },
        host: H,
        port: 5432,
        observedPort: 5433,
        state: 'closed',
        agent: 'agent-a',
        firstSeen: NOW,
        lastSeen: NOW,
        ack: null,
        message: 'aws_db_instance.orders declares port 5432 but 10.0.1.5 listens on 5433',
        suggestion: 'infra/rds.tf:14 port 5432 → 5433, or move the service back to 5432',
      });
      expect(f.id).toBe(findingId('moved', DB, H, 5432));
      expect(r.summary.byKind).toEqual({ moved: 1 });
    },
  );

  it('missing: declared closed and no candidate open', () => {
    const r = computeDrift(dbModel(), many(H, [5432, 5433, 5431], 'closed'), { now: NOW });
    expect(kinds(r.findings)).toEqual([`missing:${H}:5432`]);
    expect(r.findings[0]).toMatchObject({
      severity: 'high',
      state: 'closed',
      message: 'aws_db_instance.orders declares port 5432 but it is closed on 10.0.1.5',
    });
    expect(r.findings[0]!.suggestion).toBe(
      'start the service on 10.0.1.5:5432, or remove the declaration at infra/rds.tf:14',
    );
  });

  it('unreachable: filtered or unreachable is never in sync and never missing', () => {
    for (const state of ['filtered', 'unreachable'] as const) {
      const r = computeDrift(dbModel(), [obs(H, 5432, state), obs(H, 5433, 'open')], { now: NOW });
      // 5433 is not a moved-candidate for a port whose state is unknown: it is undeclared.
      expect(kinds(r.findings)).toEqual([`unreachable:${H}:5432`, `undeclared:${H}:5433`]);
      expect(r.findings[0]).toMatchObject({ severity: 'medium', state, agent: 'agent-a' });
      expect(r.findings[0]!.message).toContain(`${state} on 10.0.1.5 from agent-a`);
      expect(r.findings[0]!.message).toContain('unknown');
    }
  });

  it('undeclared: medium, and high for remote-admin and database ports', () => {
    const r = computeDrift(
      dbModel(),
      [obs(H, 5432, 'open'), obs(H, 22, 'open', { service: 'ssh' }), obs(H, 8125, 'open'), obs(H, 6379, 'open')],
      { now: NOW },
    );
    expect(r.findings.map((f) => [f.kind, f.port, f.severity])).toEqual([
      ['undeclared', 22, 'high'],
      ['undeclared', 6379, 'high'],
      ['undeclared', 8125, 'medium'],
    ]);
    const ssh = r.findings[0]!;
    expect(ssh).toMatchObject({ resource: DB, source: null, state: 'open', agent: 'agent-a' });
    expect(ssh.message).toBe('10.0.1.5 listens on 22 (ssh) but no IaC declares it for aws_db_instance.orders');
    expect(ssh.suggestion).toBe('declare port 22 for aws_db_instance.orders if it is intended, or stop the listener');
  });

  it('undeclared names every resource on the host, and ignores hosts the IaC does not know', () => {
    const m = model(
      [resource('aws_instance.api', [H]), resource('aws_instance.worker', [H])],
      [listen('aws_instance.api', H, 8080)],
    );
    const r = computeDrift(m, [obs(H, 8080, 'open'), obs(H, 9100, 'open'), obs('10.9.9.9', 22, 'open')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`undeclared:${H}:9100`]);
    expect(r.findings[0]!.resource).toBe('aws_instance.api, aws_instance.worker');
  });

  it('unobserved: a declared endpoint with no observation at all, low severity', () => {
    const r = computeDrift(dbModel(), [obs(H, 22, 'closed')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`unobserved:${H}:5432`]);
    expect(r.findings[0]).toMatchObject({ severity: 'low', state: null, agent: null });
    expect(r.findings[0]!.message).toBe('no agent observed aws_db_instance.orders port 5432 on 10.0.1.5');
    expect(r.summary).toMatchObject({ endpoints: 1, observed: 0, findings: 1, byKind: { unobserved: 1 } });
  });

  it('only listen endpoints over TCP with a host are checked; allow rules, null hosts and UDP are not', () => {
    const m = model(
      [resource(DB, [H]), resource('aws_security_group.db', [])],
      [
        listen('aws_security_group.db', H, 22, { role: 'allow' }),
        listen('aws_security_group.db', H, 1, { role: 'allow', toPort: 65535, protocol: 'all' }),
        listen(DB, null, 5432),
        listen('compose:dns', H, 53, { protocol: 'udp' }),
      ],
    );
    const r = computeDrift(m, [obs(H, 22, 'open')], { now: NOW });
    // An allow rule for 22 does not declare a listener: the open 22 is still undeclared.
    expect(kinds(r.findings)).toEqual([`undeclared:${H}:22`]);
    expect(r.summary).toMatchObject({ resources: 2, endpoints: 0, observed: 0 });
  });
});

describe('computeDrift: choosing the moved candidate', () => {
  it('prefers the nearest candidate and leaves the others undeclared', () => {
    const r = computeDrift(
      dbModel(),
      [obs(H, 5432, 'closed'), obs(H, 5425, 'open'), obs(H, 5434, 'open'), obs(H, 5440, 'open')],
      { now: NOW },
    );
    expect(kinds(r.findings)).toEqual([`moved:${H}:5432>5434`, `undeclared:${H}:5425`, `undeclared:${H}:5440`]);
  });

  it('a tie in distance goes to the lower port, deterministically', () => {
    const r = computeDrift(dbModel(), [obs(H, 5432, 'closed'), obs(H, 5433, 'open'), obs(H, 5431, 'open')], {
      now: NOW,
    });
    expect(kinds(r.findings)[0]).toBe(`moved:${H}:5432>5431`);
  });

  it('only a nearby port (±10) is a candidate without a fingerprint', () => {
    const r = computeDrift(dbModel(), [obs(H, 5432, 'closed'), obs(H, 5443, 'open')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`missing:${H}:5432`, `undeclared:${H}:5443`]);
    const edge = computeDrift(dbModel(), [obs(H, 5432, 'closed'), obs(H, 5442, 'open')], { now: NOW });
    expect(kinds(edge.findings)).toEqual([`moved:${H}:5432>5442`]);
  });

  it('a matching fingerprint beats a nearer unknown one, at any distance', () => {
    const r = computeDrift(
      dbModel(),
      [obs(H, 5432, 'closed'), obs(H, 5433, 'open'), obs(H, 6543, 'open', { service: 'postgres' })],
      { now: NOW },
    );
    expect(kinds(r.findings)).toEqual([`moved:${H}:5432>6543`, `undeclared:${H}:5433`]);
  });

  it('a conflicting fingerprint is never the moved service', () => {
    const r = computeDrift(dbModel(), [obs(H, 5432, 'closed'), obs(H, 5433, 'open', { service: 'ssh' })], { now: NOW });
    expect(kinds(r.findings)).toEqual([`missing:${H}:5432`, `undeclared:${H}:5433`]);
  });

  it('http and https count as one service family; a port that expects nothing ignores fingerprints', () => {
    const web = model([resource('lb', [H])], [listen('lb', H, 8443)]);
    const r = computeDrift(
      web,
      [obs(H, 8443, 'closed'), obs(H, 8450, 'open'), obs(H, 9443, 'open', { service: 'http' })],
      { now: NOW },
    );
    expect(kinds(r.findings)[0]).toBe(`moved:${H}:8443>9443`);
    const odd = model([resource('svc', [H])], [listen('svc', H, 25432)]);
    const o = computeDrift(odd, [obs(H, 25432, 'closed'), obs(H, 25433, 'open', { service: 'ssh' })], { now: NOW });
    expect(kinds(o.findings)).toEqual([`moved:${H}:25432>25433`]);
  });

  it('a candidate explains at most one declared port; the nearer pair wins', () => {
    const m = model([resource('svc', [H])], [listen('svc', H, 8080), listen('svc', H, 8090)]);
    const r = computeDrift(m, [obs(H, 8080, 'closed'), obs(H, 8090, 'closed'), obs(H, 8088, 'open')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`moved:${H}:8090>8088`, `missing:${H}:8080`]);
    expect(r.findings.filter((f) => f.observedPort === 8088)).toHaveLength(1);
  });

  it('two closed declared ports and two candidates pair up one to one', () => {
    const m = model([resource('svc', [H])], [listen('svc', H, 8080), listen('svc', H, 9090)]);
    const r = computeDrift(
      m,
      [obs(H, 8080, 'closed'), obs(H, 9090, 'closed'), obs(H, 8081, 'open'), obs(H, 9091, 'open')],
      { now: NOW },
    );
    expect(kinds(r.findings)).toEqual([`moved:${H}:8080>8081`, `moved:${H}:9090>9091`]);
  });

  it('a port another resource declares on the same host is not a candidate', () => {
    const m = model([resource('a', [H]), resource('b', [H])], [listen('a', H, 8080), listen('b', H, 8081)]);
    const r = computeDrift(m, [obs(H, 8080, 'closed'), obs(H, 8081, 'open')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`missing:${H}:8080`]);
  });

  it('several resources declaring one host:port share the candidate, one finding each', () => {
    const m = model(
      [resource('aws_lb_target_group.web', [H]), resource('aws_ecs_task_definition.web', [H])],
      [listen('aws_lb_target_group.web', H, 8080), listen('aws_ecs_task_definition.web', H, 8080)],
    );
    const r = computeDrift(m, [obs(H, 8080, 'closed'), obs(H, 8082, 'open')], { now: NOW });
    expect(r.findings.map((f) => [f.kind, f.resource, f.observedPort])).toEqual([
      ['moved', 'aws_ecs_task_definition.web', 8082],
      ['moved', 'aws_lb_target_group.web', 8082],
    ]);
  });

  it('points the suggestion at the origin of the value (variable default, shared with others)', () => {
    const m = dbModel(5432, {
      origin: {
        kind: 'variable-default',
        file: 'infra/variables.tf',
        line: 3,
        name: 'db_port',
        text: '5432',
        sharedWith: ['aws_security_group_rule.db'],
      },
    });
    const r = computeDrift(m, [obs(H, 5432, 'closed'), obs(H, 5433, 'open')], { now: NOW });
    expect(r.findings[0]!.suggestion).toBe(
      'infra/variables.tf:3 variable "db_port" default 5432 → 5433 (the same ' +
        'value feeds aws_security_group_rule.db), or move the service back to 5432',
    );
  });
});

describe('computeDrift: hosts with several addresses and several agents', () => {
  const NAME = 'db.internal';
  const m = model([resource(DB, [NAME])], [listen(DB, NAME, 5432)]);
  const v4 = (port: number, state: Parameters<typeof obs>[2], over = {}) =>
    obs(NAME, port, state, { ip: '10.0.1.5', ...over });
  const v6 = (port: number, state: Parameters<typeof obs>[2], over = {}) =>
    obs(NAME, port, state, { ip: 'fd00::5', ...over });

  it('open on any address is listening: open on IPv4 and closed on IPv6 is in sync', () => {
    expect(computeDrift(m, [v4(5432, 'open'), v6(5432, 'closed')], { now: NOW }).findings).toEqual([]);
    expect(computeDrift(m, [v4(5432, 'filtered'), v6(5432, 'open')], { now: NOW }).findings).toEqual([]);
  });

  it('closed on every address is conclusive, and the message names where the new port listens', () => {
    const r = computeDrift(m, [v4(5432, 'closed'), v6(5432, 'closed'), v6(5433, 'open')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`moved:${NAME}:5432>5433`]);
    // The message says where the new port really listens: on the IPv6 address only.
    expect(r.findings[0]!.message).toBe(
      'aws_db_instance.orders declares port 5432 but db.internal (fd00::5) listens on 5433',
    );
  });

  it('closed on one address and filtered on another is unknown, not missing', () => {
    const r = computeDrift(m, [v4(5432, 'closed'), v6(5432, 'filtered')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`unreachable:${NAME}:5432`]);
    expect(r.findings[0]!.state).toBe('filtered');
    expect(r.findings[0]!.message).toContain('closed on 10.0.1.5 and filtered on fd00::5');
  });

  it('an open port on either address is one undeclared finding per host:port', () => {
    const r = computeDrift(m, [v4(5432, 'open'), v4(9200, 'open'), v6(9200, 'open')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`undeclared:${NAME}:9200`]);
  });

  it('one agent seeing it open is enough; the finding names the agent that saw the closed port last', () => {
    expect(
      computeDrift(m, [v4(5432, 'closed', { agent: 'a' }), v4(5432, 'open', { agent: 'b' })], { now: NOW }).findings,
    ).toEqual([]);
    const r = computeDrift(
      m,
      [v4(5432, 'closed', { agent: 'a', at: '2026-11-24T08:00:00.000Z' }), v4(5432, 'closed', { agent: 'b' })],
      { now: NOW },
    );
    expect(r.findings[0]).toMatchObject({ kind: 'missing', agent: 'b' });
  });
});

describe('computeDrift: port ranges', () => {
  const m = model([resource('compose:web', [H])], [listen('compose:web', H, 8000, { toPort: 8010 })]);

  it('a range is in sync when any of its ports is open, and its open ports are declared', () => {
    const r = computeDrift(m, [...many(H, [8000, 8001, 8002], 'closed'), obs(H, 8005, 'open'), obs(H, 8010, 'open')], {
      now: NOW,
    });
    expect(r.findings).toEqual([]);
  });

  it('all observed ports of a range closed is missing (a range does not move)', () => {
    const r = computeDrift(m, [...many(H, [8000, 8005, 8010], 'closed'), obs(H, 8011, 'open')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`missing:${H}:8000`, `undeclared:${H}:8011`]);
    expect(r.findings[0]!.message).toBe('compose:web declares ports 8000-8010 but all are closed on 10.0.1.5');
  });

  it('a range open nowhere and filtered somewhere is unreachable', () => {
    const r = computeDrift(m, [obs(H, 8000, 'closed'), obs(H, 8001, 'filtered')], { now: NOW });
    expect(kinds(r.findings)).toEqual([`unreachable:${H}:8000`]);
    expect(r.findings[0]!.message).toContain('declares ports 8000-8010');
  });

  it('a range with no observation is unobserved', () => {
    expect(kinds(computeDrift(m, [obs(H, 7999, 'closed')], { now: NOW }).findings)).toEqual([`unobserved:${H}:8000`]);
  });
});

describe('computeDrift: freshness', () => {
  const old = '2026-11-24T08:40:00.000Z';
  it('observations older than the window are ignored → unobserved, and stale opens are not undeclared', () => {
    const r = computeDrift(dbModel(), [obs(H, 5432, 'open', { at: old }), obs(H, 22, 'open', { at: old })], {
      now: NOW,
      freshnessMs: 15 * 60_000,
    });
    expect(kinds(r.findings)).toEqual([`unobserved:${H}:5432`]);
    expect(r.findings[0]!.message).toBe(
      'no agent observed aws_db_instance.orders port 5432 on 10.0.1.5 within the last 15m',
    );
  });

  it('the window boundary is inclusive, and non-canonical times are parsed', () => {
    const edge = '2026-11-24T08:45:00.000Z';
    expect(
      computeDrift(dbModel(), [obs(H, 5432, 'open', { at: edge })], { now: NOW, freshnessMs: 15 * 60_000 }).findings,
    ).toEqual([]);
    expect(
      computeDrift(dbModel(), [obs(H, 5432, 'open', { at: '2026-11-24T09:50:00+01:00' })], {
        now: NOW,
        freshnessMs: 15 * 60_000,
      }).findings,
    ).toEqual([]);
    expect(
      kinds(
        computeDrift(dbModel(), [obs(H, 5432, 'open', { at: 'yesterday' })], { now: NOW, freshnessMs: 15 * 60_000 })
          .findings,
      ),
    ).toEqual([`unobserved:${H}:5432`]);
  });

  it('a fresh closed beats a stale open: the stale one is not evidence', () => {
    const r = computeDrift(dbModel(), [obs(H, 5432, 'open', { at: old, agent: 'gone' }), obs(H, 5432, 'closed')], {
      now: NOW,
      freshnessMs: 60_000,
    });
    expect(kinds(r.findings)).toEqual([`missing:${H}:5432`]);
  });

  it('without freshnessMs every observation counts', () => {
    expect(
      computeDrift(dbModel(), [obs(H, 5432, 'open', { at: '2020-01-01T00:00:00.000Z' })], { now: NOW }).findings,
    ).toEqual([]);
  });

  it('rejects a bad now or window', () => {
    expect(() => computeDrift(dbModel(), [], { now: 'soon' })).toThrow(/now "soon" is not an ISO time/);
    expect(() => computeDrift(dbModel(), [], { now: NOW, freshnessMs: -1 })).toThrow(/freshnessMs/);
  });
});

describe('computeDrift: ids, order, summary', () => {
  const A = '10.0.2.10';
  const m = model(
    [resource(DB, [H]), resource('aws_instance.api', [A]), resource('aws_elasticache_cluster.cache', ['10.0.1.9'])],
    [
      listen(DB, H, 5432),
      listen('aws_instance.api', A, 8080),
      listen('aws_instance.api', A, 9000),
      listen('aws_elasticache_cluster.cache', '10.0.1.9', 6379),
      listen(DB, '10.0.3.3', 5432),
    ],
  );
  const input = [
    obs(H, 5432, 'closed'),
    obs(H, 5433, 'open'),
    obs(A, 8080, 'filtered'),
    obs(A, 9000, 'closed'),
    obs(A, 22, 'open'),
    obs(A, 3000, 'open'),
    obs('10.0.1.9', 6379, 'closed'),
  ];

  it('sorts by severity, kind, resource, host, port', () => {
    const r = computeDrift(m, input, { now: NOW });
    expect(r.findings.map((f) => `${f.severity} ${f.kind} ${f.resource} ${f.host}:${f.port}`)).toEqual([
      'high moved aws_db_instance.orders 10.0.1.5:5432',
      'high missing aws_elasticache_cluster.cache 10.0.1.9:6379',
      'high missing aws_instance.api 10.0.2.10:9000',
      'high undeclared aws_instance.api 10.0.2.10:22',
      'medium unreachable aws_instance.api 10.0.2.10:8080',
      'medium undeclared aws_instance.api 10.0.2.10:3000',
      'low unobserved aws_db_instance.orders 10.0.3.3:5432',
    ]);
    expect(r.summary).toEqual({
      resources: 3,
      endpoints: 5,
      observed: 4,
      findings: 7,
      byKind: { moved: 1, missing: 2, unreachable: 1, undeclared: 2, unobserved: 1 },
    });
    expect(Object.keys(r.summary.byKind)).toEqual(['moved', 'missing', 'unreachable', 'undeclared', 'unobserved']);
    expect(r.version).toBe(1);
    expect(r.generatedAt).toBe(NOW);
  });

  it('is deterministic: shuffled input gives the identical report', () => {
    const a = computeDrift(m, input, { now: NOW });
    const b = computeDrift(
      { ...m, endpoints: [...m.endpoints].reverse(), resources: [...m.resources].reverse() },
      [...input].reverse(),
      { now: NOW },
    );
    expect(b).toEqual(a);
  });

  it('ids are stable, distinct, and depend only on kind, resource, host and port', () => {
    const r = computeDrift(m, input, { now: NOW });
    const ids = r.findings.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^f_[0-9a-f]{16}$/);
    // Frozen value: the collector stores ids and SARIF uses them as fingerprints.
    expect(findingId('moved', 'aws_db_instance.orders', '10.0.1.5', 5432)).toBe('f_d6bf16100c41bc7a');
    expect(findingId('moved', DB, H, 5432)).not.toBe(findingId('missing', DB, H, 5432));
    expect(findingId('moved', DB, H, 5432)).not.toBe(findingId('moved', DB, H, 5433));
    expect(findingId('moved', 'ab', 'c', 1)).not.toBe(findingId('moved', 'a', 'bc', 1));
    // The moved finding keeps its id whatever port it moved to.
    const again = computeDrift(
      m,
      input.map((o) => (o.port === 5433 ? { ...o, port: 5434 } : o)),
      { now: NOW },
    );
    expect(again.findings[0]!.id).toBe(r.findings[0]!.id);
  });

  it('duplicate declarations of one resource, host and port are one finding', () => {
    const dup = model(
      [resource(DB, [H])],
      [listen(DB, H, 5432), listen(DB, H, 5432, { source: { file: 'other.tf', line: 2 } })],
    );
    const r = computeDrift(dup, [obs(H, 5432, 'closed')], { now: NOW });
    expect(r.findings).toHaveLength(1);
    expect(r.summary.endpoints).toBe(1);
  });
});
