// `portdrift collector [--config F] [flags]`: run the collector until SIGTERM/SIGINT (graceful:
// in-flight requests finish, the store is closed); SIGHUP reloads the IaC. Every key of the
// config schema is also a flag, generated from the schema so the two cannot drift apart
// (`reportTo` ⇄ `--report-to`, cli/config-flags.ts, as for the agent); only `webhooks`, a list
// of mappings, is config-file only.
import { Command } from 'commander';
import { collectorConfig, collectorSchema } from '../../collector/config.js';
import { startCollector } from '../../collector/daemon.js';
import { createLogger, type LogLevel } from '../../shared/log.js';
import { addSchemaOptions, schemaFlags } from '../config-flags.js';
import type { CommandFactory } from './index.js';

export const collectorCommand: CommandFactory = (ctx, setExit) => {
  const cmd = new Command('collector')
    .description('run the collector: agent API, SQLite store, drift lifecycle, reports')
    .option('--config <file>', 'YAML config file; flags win over it');
  return addSchemaOptions(cmd, collectorSchema).action(async (opts: Record<string, unknown>) => {
    const flags = schemaFlags(opts, collectorSchema);
    // The SMTP password may come from the environment, never from a flag that `ps` would show.
    const smtpPassword = ctx.env.PORTDRIFT_SMTP_PASSWORD;
    const config = collectorConfig(opts.config as string | undefined, flags, smtpPassword ? { smtpPassword } : {});
    const log = createLogger({ level: config.logLevel as LogLevel, name: 'portdrift-collector' });
    const running = await startCollector(config, { cwd: ctx.cwd, env: ctx.env, log });
    ctx.err(`portdrift collector listening on ${running.url}\n`);
    const off = ctx.onReload(() => {
      log.info('SIGHUP: reloading IaC');
      void running.collector.reload().catch(() => undefined);
    });
    const signal = await ctx.shutdown;
    log.info({ signal }, 'stopping');
    off();
    await running.stop();
    setExit(0);
  });
};
