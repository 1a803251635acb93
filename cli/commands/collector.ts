// `portdrift collector [--config F] [flags]`: run the collector until SIGTERM/SIGINT (graceful:
// in-flight requests finish, the store is closed); SIGHUP reloads the IaC. Every key of the
// config schema is also a flag, generated from the schema so the two cannot drift apart
// (`reportTo` ⇄ `--report-to`); only `webhooks`, a list of mappings, is config-file only.
import { Command } from 'commander';
import { collectorConfig, collectorSchema } from '../../collector/config.js';
import { startCollector } from '../../collector/daemon.js';
import type { FieldSpec } from '../../shared/config.js';
import { createLogger, type LogLevel } from '../../shared/log.js';
import type { CommandFactory } from './index.js';

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Add one option per schema key; returns the keys that became flags. */
export function schemaOptions(cmd: Command, schema: Readonly<Record<string, FieldSpec>>): string[] {
  const keys: string[] = [];
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.type === 'list' || spec.type === 'object') continue;
    const flag = `--${kebab(key)}`;
    const help = `${spec.describe ?? key}${spec.default !== undefined ? ` (default ${JSON.stringify(spec.default)})` : ''}`;
    if (spec.type === 'bool') cmd.option(`${flag} <true|false>`, help);
    else if (spec.type === 'strings') cmd.option(`${flag} <value>`, `${help}; repeat for several`, collect);
    else cmd.option(`${flag} <value>`, help);
    keys.push(key);
  }
  return keys;
}

export const collectorCommand: CommandFactory = (ctx, setExit) => {
  const cmd = new Command('collector').description('run the collector: agent API, SQLite store, drift lifecycle, reports').option('--config <file>', 'YAML config file; flags win over it');
  const keys = schemaOptions(cmd, collectorSchema);
  return cmd.action(async (opts: Record<string, unknown>) => {
    const flags: Record<string, unknown> = {};
    for (const k of keys) if (opts[k] !== undefined) flags[k] = opts[k];
    // The SMTP password may come from the environment, never from a flag that `ps` would show.
    const smtpPassword = ctx.env.PORTDRIFT_SMTP_PASSWORD;
    const config = collectorConfig(opts.config as string | undefined, flags, smtpPassword ? { smtpPassword } : {});
    const log = createLogger({ level: config.logLevel as LogLevel, name: 'portdrift-collector' });
    const running = await startCollector(config, { cwd: ctx.cwd, log, env: ctx.env });
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
