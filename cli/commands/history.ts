// `portdrift history`: finding transitions (opened, resolved, reopened, acknowledged, …), oldest
// first, optionally for one finding or since a time.
import { Command, Option } from 'commander';
import { PortdriftError } from '../../shared/errors.js';
import { callCollector, table, withClientOptions, type ClientOptions } from '../collector-client.js';
import type { CommandFactory } from './index.js';

interface Entry {
  at: string;
  findingId: string;
  kind: string;
  severity: string;
  resource: string;
  host: string;
  port: number;
  event: string;
  detail: string | null;
}

export const historyCommand: CommandFactory = (ctx, setExit) =>
  withClientOptions(new Command('history').description('finding transitions recorded by the collector'))
    .option('--finding <id>', 'only this finding')
    .option('--since <time>', 'only after this ISO time')
    .option('--limit <n>', 'the most recent N entries', '1000')
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices([
        'table',
        'json',
      ]),
    )
    .action(
      async (opts: ClientOptions & { finding?: string; since?: string; limit: string; format?: 'table' | 'json' }) => {
        const q = new URLSearchParams({
          limit: opts.limit,
          ...(opts.finding ? { finding: opts.finding } : {}),
          ...(opts.since ? { since: opts.since } : {}),
        });
        const body = (await callCollector(ctx, opts, 'GET', `v1/history?${q}`)) as { entries: Entry[] };
        if (!Array.isArray((body as { entries?: unknown })?.entries))
          throw new PortdriftError(
            'PD_COLLECTOR_RESPONSE',
            'GET /v1/history: the collector answered without an `entries` list (is --collector a portdrift collector?)',
          );
        const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
        if (format === 'json') ctx.out(`${JSON.stringify(body, null, 2)}\n`);
        else if (body.entries.length === 0) ctx.out('no history yet\n');
        else
          ctx.out(
            table(
              ['AT', 'EVENT', 'FINDING', 'KIND', 'ENDPOINT', 'DETAIL'],
              body.entries.map((e) => [
                e.at,
                e.event,
                e.findingId,
                e.kind,
                `${e.resource} ${e.host}:${e.port}`,
                e.detail ?? '',
              ]),
            ),
          );
        setExit(0);
      },
    );
