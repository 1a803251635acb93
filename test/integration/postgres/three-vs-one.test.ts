// Three collector processes on one PostgreSQL database, with the agents spread across them,
// reach the same findings as one collector on a database of its own given the same input: the
// same batches, the same IaC, the same settings. Compared as `portdrift drift --format json`
// answers of every replica, minus times. The batches are posted by the test (the agents' input
// made identical); each agent posts to its own replica.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, pgSkipReason, type TestDatabase } from '../../lab/pg.js';
import { killAll, requireBuild } from '../agent/harness.js';
import { type BatchSpec, get, postBatch } from '../collector/harness.js';
import { cli, type Replica, startReplica, token, until } from './fleet.js';

const skip = pgSkipReason();

// Loopback addresses as host names: nothing is probed here, the batches say what was seen.
const TF = `resource "aws_db_instance" "orders" {
  engine = "postgres"
  port   = 5432
}

resource "aws_elasticache_cluster" "cache" {
  engine = "redis"
  port   = 6379
}

resource "aws_lb_target_group" "web" {
  protocol = "TCP"
  port     = 8080
}
`;
const TARGETS = `targets:
  - resource: aws_db_instance.orders
    hosts: [127.0.0.11]
  - resource: aws_elasticache_cluster.cache
    hosts: [127.0.0.12]
  - resource: aws_lb_target_group.web
    hosts: [127.0.0.13]
`;

/** What each agent saw: the database moved to 5433, the cache closed, the web port open. */
const INPUT: Array<{ agent: string; batch: (n: number) => BatchSpec }> = [
  {
    agent: 'agent-1',
    batch: (n) => ({
      id: `b1-${n}`,
      agent: 'agent-1',
      sweeps: [{ host: '127.0.0.11', ip: '127.0.0.11', ports: '5422-5442', closed: '5422-5432,5434-5442' }],
      obs: [{ host: '127.0.0.11', ip: '127.0.0.11', port: 5433, state: 'open' }],
    }),
  },
  {
    agent: 'agent-2',
    batch: (n) => ({
      id: `b2-${n}`,
      agent: 'agent-2',
      sweeps: [{ host: '127.0.0.12', ip: '127.0.0.12', ports: '6369-6389', closed: '6369-6389' }],
      obs: [{ host: '127.0.0.12', ip: '127.0.0.12', port: 6379, state: 'closed' }],
    }),
  },
  {
    agent: 'agent-3',
    batch: (n) => ({
      id: `b3-${n}`,
      agent: 'agent-3',
      sweeps: [{ host: '127.0.0.13', ip: '127.0.0.13', ports: '8070-8090', closed: '8070-8079,8081-8084,8086-8090' }],
      obs: [
        { host: '127.0.0.13', ip: '127.0.0.13', port: 8080, state: 'open' },
        { host: '127.0.0.13', ip: '127.0.0.13', port: 8085, state: 'open' },
      ],
    }),
  },
];

const SETTINGS = ['--interval', '1s', '--cycles', '2', '--freshness', '1h', '--check-interval', '0s'];

/** The findings with every time taken out (they differ between runs, nothing else may). */
function timeless(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(timeless);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => !(typeof x === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(x)))
        .map(([k, x]) => [k, timeless(x)]),
    );
  return v;
}

interface Group {
  db: TestDatabase;
  replicas: Replica[];
  agents: Record<string, string>;
  reader: string;
}

describe.skipIf(skip)(`three replicas against one collector${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  const groups: Group[] = [];

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'pd-3v1-'));
    writeFileSync(join(dir, 'main.tf'), TF);
    writeFileSync(join(dir, 'targets.yaml'), TARGETS);
    const iac = ['--iac', join(dir, 'main.tf'), '--targets', join(dir, 'targets.yaml')];
    // Both groups at once (the processes start in parallel); the schema first, by one process.
    const made = await Promise.all(
      [3, 1].map(async (n) => {
        const db = await freshDatabase();
        const reader = await token(db.url, 'reader', 'ops');
        const [agents, replicas] = await Promise.all([
          Promise.all(INPUT.map(async (i) => [i.agent, await token(db.url, 'agent', i.agent)] as const)),
          Promise.all(
            Array.from({ length: n }, (_, i) => startReplica(`collector ${n}.${i + 1}`, db.url, iac, SETTINGS)),
          ),
        ]);
        return { db, replicas, agents: Object.fromEntries(agents), reader };
      }),
    );
    groups.push(...made);
  }, 60_000);

  afterAll(async () => {
    await killAll();
    for (const g of groups) await g.db.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const drift = async (url: string, reader: string) => {
    const r = await cli(['drift', '--collector', url, '--format', 'json'], { PORTDRIFT_TOKEN: reader });
    if (r.code !== 0 && r.code !== 2) throw new Error(`drift exited ${r.code}: ${r.err}`);
    return timeless((JSON.parse(r.out) as { findings: Array<Record<string, unknown>> }).findings);
  };

  it('the same batches spread over three replicas give the same findings as one collector', async () => {
    for (let n = 1; n <= 3; n++) {
      for (const g of groups) {
        await Promise.all(
          INPUT.map(async ({ agent, batch }, i) => {
            const r = await postBatch(g.replicas[i % g.replicas.length]!.url, g.agents[agent]!, batch(n));
            expect(r.status, `${agent} batch ${n}`).toBe(200);
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 400));
    }
    const [three, one] = groups as [Group, Group];
    // Both have held the drift for two cycles: every finding has opened.
    // Polled on the API (cheaper than a CLI process each time), compared as the CLI prints them.
    const open = async (url: string, token: string) =>
      ((await (await get(url, '/v1/findings', token)).json()) as { findings: Array<{ kind: string }> }).findings;
    const settled = async (g: Group) => {
      const kinds = (await open(g.replicas[0]!.url, g.reader)).map((x) => x.kind).sort();
      return JSON.stringify(kinds) === JSON.stringify(['missing', 'moved', 'undeclared']);
    };
    await until('the single collector to open its findings', () => settled(one), 30_000, 300);
    await until('the three replicas to open theirs', () => settled(three), 30_000, 300);
    const [expected, ...answers] = await Promise.all([
      drift(one.replicas[0]!.url, one.reader),
      ...three.replicas.map((r) => drift(r.url, three.reader)),
    ]);
    for (const [i, a] of answers.entries()) expect(a, three.replicas[i]!.proc.label).toEqual(expected);
  }, 90_000);
});
