// The agent fingerprints too: a real `portdrift agent` and a real `portdrift collector` in a lab
// namespace, with real daemons on the ports the IaC declares. The plan carries each declared
// port's expected service; the agent fingerprints the open ones (and the moved candidates near
// a closed one), the service name travels in its observations, and the collector raises
// `wrong-service` (redis-server on the port declared for a PostgreSQL aws_db_instance) and pairs
// `moved` with the candidate that answers the expected service (PostgreSQL two ports away rather
// than redis one port away, which the nearest-first rule alone would pick).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemons, findBinary, initPostgres, userExists } from '../../lab/daemons.mjs';
import { createSoloLab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  type Collector,
  createToken,
  killAll,
  portdrift,
  type Proc,
  short,
  startCollector,
  waitForDrift,
  writeFixture,
} from '../agent/harness.js';

const labSkip = labSkipReason();
const redis = findBinary('redis-server');
const postgres = findBinary('postgres');
const initdb = findBinary('initdb');
const daemonSkip =
  [!redis && 'redis-server', !postgres && 'postgres', !initdb && 'initdb'].filter(Boolean).join(', ') ||
  (userExists('postgres') ? '' : 'the postgres user');
const skip = labSkip || (daemonSkip ? `${daemonSkip} not installed here` : false);

/** orders: postgres declared here, redis answers. users: postgres declared on 5440, gone; redis on 5441, postgres on
 * 5442. */
const ORDERS = 5432;
const USERS = 5440;

describe.skipIf(skip)(
  `agent + collector: wrong-service and moved by fingerprint${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let daemons: Daemons;
    let dir: string;
    let collector: Collector;
    let agent: Proc;
    let reader: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pd-agent-fp-'));
      daemons = new Daemons(await createSoloLab());
      daemons.redis(redis!, { port: ORDERS });
      daemons.redis(redis!, { port: USERS + 1 });
      const pg = daemons.tempDir('pg');
      daemons.postgres(postgres!, { data: initPostgres(pg, initdb!), port: USERS + 2, socketDir: pg });
      await daemons.ready([ORDERS, USERS + 1, USERS + 2]);

      const store = join(dir, 'pd.db');
      const iac = writeFixture(dir, [
        { type: 'aws_db_instance', name: 'orders', port: ORDERS, hosts: ['127.0.0.1'] },
        { type: 'aws_db_instance', name: 'users', port: USERS, hosts: ['127.0.0.1'] },
      ]);
      const token = createToken(store, 'agent', 'fp-agent');
      reader = createToken(store, 'reader', 'tests');
      collector = await startCollector(daemons.lab.client, '127.0.0.1', [
        ...iac,
        '--data',
        store,
        '--interval',
        '1s',
        '--cycles',
        '1',
        '--debounce',
        '100ms',
        '--freshness',
        '60s',
        '--log-level',
        'info',
      ]);
      agent = portdrift(
        'agent',
        daemons.lab.client,
        [
          'agent',
          '--collector',
          collector.url,
          '--interval',
          '700ms',
          '--name',
          'fp-agent',
          '--scope',
          '127.0.0.0/8',
          '--spool',
          join(dir, 'spool'),
          '--log-level',
          'info',
        ],
        { PORTDRIFT_TOKEN: token },
      );
    }, 180_000);

    afterAll(async () => {
      await killAll();
      await daemons?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('redis on the postgres port is wrong-service; the ' +
      'moved postgres pairs with the port that speaks postgres', async () => {
      await agent.waitForLog('sweep done', 60_000, 1);
      const d = await waitForDrift(
        daemons.lab.client,
        collector.url,
        reader,
        'wrong-service + moved',
        (x) => ['wrong-service', 'moved'].every((k) => x.findings.some((f) => f.kind === k)),
        60_000,
      );
      expect(d.findings.map(short).sort()).toEqual([
        `moved aws_db_instance.users 127.0.0.1:${USERS}→${USERS + 2} by fp-agent`,
        // The redis left beside the moved PostgreSQL answers a port nobody declares.
        `undeclared aws_db_instance.orders, aws_db_instance.users 127.0.0.1:${USERS + 1} by fp-agent`,
        `wrong-service aws_db_instance.orders 127.0.0.1:${ORDERS} by fp-agent`,
      ]);
      const wrong = d.findings.find((f) => f.kind === 'wrong-service')! as unknown as Record<string, unknown>;
      expect(wrong).toMatchObject({
        severity: 'high',
        source: { file: 'main.tf', line: 2 },
        expectedService: 'postgres',
        observedService: 'redis',
        message: `aws_db_instance.orders expects postgres on 127.0.0.1:${ORDERS}; it answers redis`,
      });
    }, 150_000);
  },
);
