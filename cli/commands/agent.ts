// `portdrift agent [--config F] [flags]`: run an agent. This file only composes: config
// (agent/daemon/config.ts, every key also a flag) → logger, scope check, spool and plan cache,
// collector client, probe engine → the cycle (agent/daemon/loop.ts) until SIGTERM/SIGINT.
import { hostname } from 'node:os';
import { Command } from 'commander';
import { probeTargets } from '../../agent/probe/index.js';
import { resolveAgentConfig, agentSchema } from '../../agent/daemon/config.js';
import { readListeners } from '../../agent/daemon/listeners.js';
import { readPodLabels } from '../../agent/daemon/pod-labels.js';
import { enrollWithRetry, podIdentity, readKey, writeKey } from '../../agent/daemon/enroll.js';
import { runAgentLoop, type ProbeFn } from '../../agent/daemon/loop.js';
import { directoryPlanCache, memoryPlanCache } from '../../agent/daemon/plan-cache.js';
import type { TargetSpec } from '../../agent/daemon/plan.js';
import { DirectorySpool, MemorySpool } from '../../agent/daemon/spool.js';
import { CollectorClient } from '../../agent/daemon/transport.js';
import { loadConfigFile } from '../../shared/config.js';
import { parseExclusion } from '../../shared/exclude.js';
import { parsePortSpec } from '../../shared/ports.js';
import { createLogger } from '../../shared/log.js';
import { checkCidr, makeAdmit } from '../../shared/scope.js';
import { VERSION } from '../../shared/version.js';
import { encodeRecords } from '../../shared/wire.js';
import { addSchemaOptions, schemaFlags } from '../config-flags.js';
import { SCAN_DEADLINE_MS } from '../scan-fingerprint.js';
import type { CommandFactory } from './index.js';

export const agentCommand: CommandFactory = (ctx, setExit) =>
  addSchemaOptions(
    new Command('agent')
      .description(
        'run an agent: pull the plan, probe inside --scope only, ' +
          'stream observations to the collector (no listening port)',
      )
      .option('--config <file>', 'YAML config file; every key is also a flag, flags win'),
    agentSchema,
  ).action(async (opts: Record<string, unknown>) => {
    const configFile = typeof opts.config === 'string' ? opts.config : undefined;
    const settings = resolveAgentConfig({
      file: configFile ? loadConfigFile(configFile) : {},
      flags: schemaFlags(opts, agentSchema),
      env: ctx.env,
      hostname: hostname(),
      checkCidr,
      origin: configFile ?? 'agent configuration',
    });
    const logger = createLogger({ level: settings.logLevel, name: 'portdrift-agent' });
    // Checked after DNS for every address the engine is about to probe; the plan is never trusted.
    const admit = makeAdmit({ scope: settings.scope });
    const limits = { maxBatches: settings.spoolMax, maxBytes: settings.spoolMaxBytes };
    const dirSpool = settings.spool ? new DirectorySpool(settings.spool, limits) : null;
    const spool = dirSpool ?? new MemorySpool(limits);
    const planCache = dirSpool ? directoryPlanCache(dirSpool.location, dirSpool.key) : memoryPlanCache();
    const stateDir = settings.stateDir;
    // An enrolled agent's key: the one kept from an earlier start, else none yet (enrolled below).
    const kept = stateDir ? readKey(stateDir) : null;
    const collector = new CollectorClient({
      url: settings.collector,
      token: settings.token ?? kept ?? '',
      ...(stateDir
        ? {
            onNewKey: (key: string) => {
              try {
                writeKey(stateDir, key);
                logger.info({ stateDir }, "the collector rotated this agent's key: the new key is kept and used");
                return true;
              } catch (err) {
                logger.error({ err: (err as Error).message }, 'cannot keep the rotated key: still using the old one');
                return false;
              }
            },
          }
        : {}),
      userAgent: `portdrift-agent/${VERSION}`,
      planMaxBytes: settings.planMaxBytes,
      logger,
      ...(settings.caFile ? { caFile: settings.caFile } : {}),
    });
    // The operator's exclusions hold whatever the plan asks: excluded addresses are never
    // connected to, excluded ports never probed (a declared one then shows as unobserved).
    const exclusion = settings.exclude.length > 0 ? parseExclusion(settings.exclude) : null;
    const excludedPorts = settings.excludePorts ? new Set(parsePortSpec(settings.excludePorts)) : null;
    const keep = (p: number) => !excludedPorts!.has(p);
    const withoutExcluded = (targets: TargetSpec[]): TargetSpec[] =>
      excludedPorts
        ? targets.map((t) => ({ ...t, declared: t.declared.filter(keep), discovery: t.discovery.filter(keep) }))
        : targets;
    // Fingerprints: a pass of its own after the connects, with its own small pool and the same
    // per-port bounds as `scan` (agent/fingerprint).
    const fingerprint =
      settings.fingerprint === 'off'
        ? {}
        : {
            fingerprint: { deadlineMs: SCAN_DEADLINE_MS },
            fingerprintPorts: settings.fingerprint === 'all' ? ('open' as const) : ('expected' as const),
          };
    // `refuse`: the plan's token scope, checked after the agent's own (both must admit).
    const probe: ProbeFn = (targets, signal, refuse) =>
      probeTargets(withoutExcluded(targets), {
        signal,
        admit: (ip) => admit(ip) ?? refuse(ip),
        ...(exclusion ? { exclude: (ip: string, host: string) => exclusion.matches(ip, host) } : {}),
        ...(settings.rate !== undefined ? { rate: settings.rate } : {}),
        ...fingerprint,
        ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
        ...(settings.timeout !== undefined ? { timeoutMs: settings.timeout } : {}),
        ...(settings.retries !== undefined ? { retries: settings.retries } : {}),
        ...(ctx.nofileLimit !== undefined ? { nofileLimit: ctx.nofileLimit } : {}),
      });
    logger.info(
      {
        agent: settings.name,
        version: VERSION,
        collector: settings.collector,
        scope: settings.scope,
        spool: spool.location,
      },
      'agent starting',
    );
    const unsealed = dirSpool?.recovered.unauthenticated ?? [];
    if (unsealed.length > 0) {
      logger.warn(
        { spool: spool.location, count: unsealed.length, files: unsealed.slice(0, 20) },
        'spool files this agent did not write (no valid seal): not sent, left in place',
      );
    }
    // The pod (Downward API env and labels file): at enrollment and in every batch header.
    const pod = podIdentity(ctx.env, settings.podLabels ? readPodLabels(settings.podLabels) : undefined);
    try {
      if (stateDir && settings.enrollSecret && kept === null) {
        const { name, scope } = settings;
        const identity = { name, host: hostname(), version: VERSION, scope, ...(pod ? { pod } : {}) };
        const stopEnroll = new AbortController();
        void ctx.shutdown.then(() => stopEnroll.abort());
        const secret = settings.enrollSecret;
        const ask = () => collector.enroll(secret, identity, stopEnroll.signal);
        const key = await enrollWithRetry(ask, logger, stopEnroll.signal);
        if (key === null) {
          setExit(0);
          return;
        }
        writeKey(stateDir, key);
        collector.setToken(key);
        logger.info({ agent: settings.name, stateDir }, 'enrolled: the agent key is kept in the state directory');
      } else if (kept !== null) logger.debug({ stateDir }, 'using the agent key kept from an earlier enrollment');
      await runAgentLoop({
        settings: {
          name: settings.name,
          scope: settings.scope,
          listeners: settings.listeners,
          ...(pod ? { pod } : {}),
          stopGrace: settings.stopGrace,
          flushTimeout: settings.flushTimeout,
          minInterval: settings.minInterval,
          maxBatchBytes: settings.maxBatchBytes,
          ...(settings.interval !== undefined ? { interval: settings.interval } : {}),
          ...(settings.checkInterval !== undefined ? { checkInterval: settings.checkInterval } : {}),
        },
        collector,
        spool,
        planCache,
        probe,
        encode: encodeRecords,
        readListeners: () => readListeners(),
        logger,
        stop: ctx.shutdown,
      });
    } finally {
      await collector.close();
    }
    setExit(0);
  });
