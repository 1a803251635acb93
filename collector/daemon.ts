// Composition of a running collector: store → model/lifecycle (Collector) → reports and alerts →
// HTTP server. `startCollector` listens and returns a handle whose `stop` is the graceful
// shutdown: stop accepting, finish in-flight requests, let the last evaluation end, close the
// store. The CLI command (cli/commands/collector.ts) wires it to signals; tests call it directly.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { PortdriftError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { CollectorConfig } from './config.js';
import { splitListen } from './config.js';
import { createServer } from './http/app.js';
import { createReporting, type Reporting } from './report/config.js';
import type { OutgoingMail } from './report/mail.js';
import { liveLoader } from './lifecycle/live.js';
import { LATE_FACTOR, Collector } from './service.js';
import { isPostgresUrl, redactUrl } from './store/postgres/connect.js';
import { leaseTimings } from './store/postgres/lease.js';
import { PostgresStore } from './store/postgres/store.js';
import { lockStore } from './store/sqlite-lock.js';
import { SqliteStore } from './store/sqlite.js';
import { ThreadedStore, threadedStoreAvailable } from './store/threaded.js';
import type { Store } from './store/types.js';

export interface RunningCollector {
  collector: Collector;
  store: Store;
  server: Server;
  /** `http://127.0.0.1:7600` (the address actually bound; port 0 resolved). */
  url: string;
  reporting: Reporting;
  stop(): Promise<void>;
}

export interface StartOptions {
  cwd: string;
  /**
   * The environment: credentials and endpoints of state URLs and of `live: aws`, and libpq's
   * variables (PGPASSWORD, PGSSLMODE, …) for a PostgreSQL store.
   */
  env?: Readonly<Record<string, string | undefined>>;
  log: Logger;
  now?: () => number;
}

export async function startCollector(c: CollectorConfig, o: StartOptions): Promise<RunningCollector> {
  const abs = (p: string) => resolve(o.cwd, p);
  let tls: { cert: string; key: string } | undefined;
  if (c.tlsCert && c.tlsKey) {
    try {
      tls = { cert: readFileSync(abs(c.tlsCert), 'utf8'), key: readFileSync(abs(c.tlsKey), 'utf8') };
    } catch (err) {
      throw new PortdriftError('PD_CONFIG_READ', `cannot read the TLS certificate or key: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const storeOptions = {
    synchronous: c.synchronous === 'normal' ? ('NORMAL' as const) : ('FULL' as const),
    maxRowsPerAgent: c.maxRowsPerAgent,
  };
  // A postgres:// URL: the PostgreSQL store, shared by any number of replicas (no file lock).
  // Else SQLite on its own thread where the compiled worker exists (the product); in-thread when
  // running from TypeScript sources (unit tests) or when turned off.
  const pgStore = isPostgresUrl(c.data);
  const lock = pgStore ? { release: () => {} } : lockStore(abs(c.data));
  let store: Store;
  try {
    if (pgStore)
      store = await PostgresStore.open(c.data, {
        maxRowsPerAgent: c.maxRowsPerAgent,
        ...(o.env ? { env: o.env } : {}),
      });
    else
      store =
        c.storeThread && threadedStoreAvailable()
          ? await ThreadedStore.open(abs(c.data), storeOptions)
          : new SqliteStore(abs(c.data), storeOptions);
  } catch (err) {
    lock.release();
    throw err;
  }
  // Several replicas on PostgreSQL: the lease says which one runs the scheduled work; its length
  // (leaderLease) sets how soon a dead leader is replaced and how long outbox claims hold.
  const timing = leaseTimings(c.leaderLease);
  const lease = store instanceof PostgresStore ? store.lease({ ttlMs: timing.ttlMs, renewMs: timing.renewMs }) : null;
  await lease?.start();
  const closeStore = async (): Promise<void> => {
    try {
      await lease?.stop();
      await store.close();
    } finally {
      lock.release();
    }
  };
  const now = o.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();
  let reporting: Reporting | null = null;
  const collector = new Collector({
    store,
    log: o.log.child({ part: 'collector' }),
    iac: {
      paths: c.iac,
      stateFiles: c.state,
      varFiles: c.varFile,
      clusterDomain: c.clusterDomain,
      cwd: o.cwd,
      ...(c.targets ? { targetsFile: c.targets } : {}),
      ...(o.env ? { env: o.env } : {}),
    },
    ...(c.live === 'aws'
      ? {
          load: liveLoader(
            {
              regions: c.awsRegion ?? [],
              ...(c.awsProfile !== undefined ? { profile: c.awsProfile } : {}),
              ...(c.awsRoleArn !== undefined ? { roleArn: c.awsRoleArn } : {}),
              refreshMs: c.liveRefresh ?? c.interval,
            },
            o.log.child({ part: 'live' }),
            now,
            // Replicas share the inventory through the database: the leader reads AWS.
            lease
              ? { shelf: (store as PostgresStore).inventory(lease.holder), isLeader: () => lease.isLeader() }
              : undefined,
          ),
        }
      : {}),
    intervalMs: c.interval,
    cycles: c.cycles,
    checkIntervalMs: c.checkInterval,
    debounceMs: c.debounce,
    freshnessMs: c.freshness ?? LATE_FACTOR * c.interval,
    discovery: c.discovery,
    neighbourhood: c.neighbourhood,
    batchRetentionMs: c.batchRetention,
    retentionMs: c.retention,
    ...(lease ? { isLeader: () => lease.isLeader() } : {}),
    now,
    // Replicas on PostgreSQL queue each transition's alert in the database with the transition
    // (store.outbox below); the leader delivers it. A single collector notifies at once.
    onTransition: (t, at) => {
      if (!lease)
        reporting?.alerts?.notify({ type: t.event === 'resolved' ? 'resolved' : 'opened', finding: t.finding, at });
    },
  });
  try {
    // The report outbox is a directory beside a SQLite store; replicas on PostgreSQL share its
    // outbox table, and only the leader makes and sends reports and delivers webhook alerts.
    const shared = lease
      ? (() => {
          const alerts = c.webhooks.length > 0;
          const box = (store as PostgresStore).outbox(lease.holder, { alerts, claimMs: timing.claimMs });
          return {
            reports: box.reports<OutgoingMail>(),
            alerts: {
              claim: (n: number) => box.claimAlerts(n),
              renew: (id: string) => box.renew(id),
              done: async (id: string) => void (await box.markSent(id)),
            },
            caps: (store as PostgresStore).alertCaps(),
            isLeader: () => lease.isLeader(),
            renewMs: timing.claimRenewMs,
          };
        })()
      : undefined;
    reporting = createReporting(c, {
      dataFile: abs(c.data),
      log: o.log,
      cwd: o.cwd,
      ...(shared ? { shared } : {}),
      load: async (since, at) => {
        const all = await collector.report({ status: 'all' });
        const findings = all.findings.filter((f) => !f.resolvedAt || since === null || f.resolvedAt > since);
        const agents = (await collector.agents()).map((a) => ({
          name: a.name,
          lastSeen: a.lastSeen,
          intervalMs: a.intervalMs ?? c.interval,
        }));
        return {
          scope: c.reportScope,
          findings,
          coverage: { declared: all.summary.endpoints, observed: all.summary.observed },
          agents,
          series: await store.openSeries(since, 3_600_000).then((s) => s.filter((p) => p.at <= at)),
        };
      },
    });
    await collector.start();
  } catch (err) {
    await collector.stop();
    await reporting?.stop();
    await closeStore();
    throw err;
  }
  const server = createServer(
    {
      collector,
      log: o.log.child({ part: 'http' }),
      limits: { maxBatchBytes: c.maxBatchBytes, maxJsonBytes: 1024 * 1024, maxInflightBytes: c.maxInflightBytes },
      reports: reporting.reports
        ? { preview: () => reporting!.reports!.preview(), sendNow: () => reporting!.reports!.sendNow() }
        : null,
      now: iso,
      ...(c.agentKeyMaxAge !== undefined ? { agentKeyMaxAgeMs: c.agentKeyMaxAge } : {}),
      // Which process answers (/healthz, /metrics): on PostgreSQL the id its lease row names.
      replica: { id: lease?.holder ?? `replica_${randomBytes(6).toString('hex')}`, host: hostname() },
      ...(store instanceof PostgresStore
        ? {
            health: async () => ({
              leader: lease?.isLeader() ?? false,
              database: await (store as PostgresStore).reachable(),
            }),
          }
        : {}),
    },
    tls,
  );
  const { host, port } = splitListen(c.listen);
  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(port, host, () => {
        server.off('error', rej);
        res();
      });
    });
  } catch (err) {
    await collector.stop();
    await reporting.stop();
    await closeStore();
    throw new PortdriftError('PD_USAGE', `cannot listen on ${c.listen}: ${(err as Error).message}`, { cause: err });
  }
  await reporting.reports?.start();
  reporting.pump?.start();
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${tls ? 'https' : 'http'}://${shown}:${addr.port}`;
  o.log.info(
    { url, data: pgStore ? redactUrl(c.data) : abs(c.data), revision: collector.model?.revision },
    'collector listening',
  );
  let stopping: Promise<void> | null = null;
  // server.close() stops accepting, but Node 20 goes on serving every request that arrives on a
  // connection that was busy at that moment, and keeps it alive afterwards: an agent posting
  // back to back held a stopping collector open until the 10 s force below (measured with fetch
  // every 20 ms: still open after 8 s). So once stopping, every response not yet begun says
  // `Connection: close`, and a busy connection ends with its current request.
  const unanswered = new Set<ServerResponse>();
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (stopping) return void res.setHeader('Connection', 'close');
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
  });
  const closeAfterResponse = () => {
    for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  return {
    collector,
    store,
    server,
    url,
    reporting,
    stop() {
      stopping ??= (async () => {
        // Stop accepting; in-flight requests finish (their batches commit), idle sockets close.
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        closeAfterResponse();
        const force = setTimeout(() => server.closeAllConnections(), 10_000);
        await closed;
        clearTimeout(force);
        await collector.stop();
        await reporting!.stop();
        await closeStore();
        o.log.info('collector stopped');
      })();
      return stopping;
    },
  };
}
