// `portdrift ignore add|list|remove`: the collector's ignore rules (admin to change, reader to
// list). A rule without --kind takes the matching endpoints out of plans and drift (never
// probed); with --kind it hides only findings of that kind. A reason is required, an expiry
// optional.
import { Command, Option } from 'commander';
import { FINDING_KINDS } from '../../shared/drift/index.js';
import { parseDuration } from '../../shared/duration.js';
import { PortdriftError } from '../../shared/errors.js';
import { callCollector, table, withClientOptions, type ClientOptions } from '../collector-client.js';
import type { CommandFactory } from './index.js';

interface Rule {
  id: string;
  resource: string;
  host: string | null;
  port: number | null;
  kind: string | null;
  reason: string;
  by: string;
  expiresAt: string | null;
}

export const ignoreCommand: CommandFactory = (ctx, setExit) => {
  const cmd = new Command('ignore').description(
    "the collector's ignore rules: endpoints never probed, or findings of one kind hidden",
  );
  withClientOptions(cmd.command('add').description('add a rule (admin token)'))
    .option('--resource <glob>', 'resource address or glob, e.g. module.legacy.*', '*')
    .option('--host <host>', 'only this host')
    .option('--port <port>', 'only this port')
    .addOption(
      new Option('--kind <kind>', 'hide only findings of this kind (the endpoint is still probed)').choices([
        ...FINDING_KINDS,
      ]),
    )
    .requiredOption('--reason <text>', 'why (required)')
    .option('--expires <duration>', 'the rule lapses after this long, e.g. 30d')
    .action(
      async (
        opts: ClientOptions & {
          resource: string;
          host?: string;
          port?: string;
          kind?: string;
          reason: string;
          expires?: string;
        },
      ) => {
        if (opts.port !== undefined && !/^\d{1,5}$/.test(opts.port))
          throw new PortdriftError('PD_USAGE', `--port ${JSON.stringify(opts.port)} is not a port`);
        if (opts.expires !== undefined) parseDuration(opts.expires);
        const body = (await callCollector(ctx, opts, 'POST', 'v1/ignores', {
          resource: opts.resource,
          reason: opts.reason,
          ...(opts.host ? { host: opts.host } : {}),
          ...(opts.port ? { port: Number(opts.port) } : {}),
          ...(opts.kind ? { kind: opts.kind } : {}),
          ...(opts.expires ? { expires: opts.expires } : {}),
        })) as { ignore: Rule };
        ctx.out(`${JSON.stringify(body)}\n`);
        ctx.err(`added ignore rule ${body.ignore.id}\n`);
        setExit(0);
      },
    );
  withClientOptions(cmd.command('list').description('list the rules'))
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices([
        'table',
        'json',
      ]),
    )
    .action(async (opts: ClientOptions & { format?: 'table' | 'json' }) => {
      const body = (await callCollector(ctx, opts, 'GET', 'v1/ignores')) as { ignores: Rule[] };
      const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
      if (format === 'json') ctx.out(`${JSON.stringify(body, null, 2)}\n`);
      else if (body.ignores.length === 0) ctx.out('no ignore rules\n');
      else
        ctx.out(
          table(
            ['ID', 'RESOURCE', 'HOST', 'PORT', 'KIND', 'BY', 'EXPIRES', 'REASON'],
            body.ignores.map((r) => [
              r.id,
              r.resource,
              r.host ?? '*',
              r.port === null ? '*' : String(r.port),
              r.kind ?? 'all',
              r.by,
              r.expiresAt ?? '-',
              r.reason,
            ]),
          ),
        );
      setExit(0);
    });
  withClientOptions(cmd.command('remove').description('remove a rule (admin token)'))
    .argument('<id>')
    .action(async (id: string, opts: ClientOptions) => {
      await callCollector(ctx, opts, 'DELETE', `v1/ignores/${encodeURIComponent(id)}`);
      ctx.err(`removed ignore rule ${id}\n`);
      setExit(0);
    });
  return cmd;
};
