// `portdrift ack <id> --reason R [--expires D]`: acknowledge a finding on the collector (admin
// token). It stays listed, with its acknowledgement, and no longer fails `drift`; after the
// expiry it counts again.
import { Command } from 'commander';
import { parseDuration } from '../../shared/duration.js';
import { PortdriftError } from '../../shared/errors.js';
import { callCollector, withClientOptions, type ClientOptions } from '../collector-client.js';
import type { CommandFactory } from './index.js';

export const ackCommand: CommandFactory = (ctx, setExit) =>
  withClientOptions(
    new Command('ack').description(
      'acknowledge a finding: it stays listed and stops failing `drift` (until --expires)',
    ),
  )
    .argument('<id>', 'finding id (f_…)')
    .requiredOption('--reason <text>', 'why (required; recorded in the history)')
    .option('--expires <duration>', 'the acknowledgement lapses after this long, e.g. 7d, 12h')
    .action(async (id: string, opts: ClientOptions & { reason: string; expires?: string }) => {
      if (opts.reason.trim() === '') throw new PortdriftError('PD_USAGE', '--reason must say why');
      if (opts.expires !== undefined) parseDuration(opts.expires);
      const body = (await callCollector(ctx, opts, 'POST', `v1/findings/${encodeURIComponent(id)}/ack`, {
        reason: opts.reason,
        ...(opts.expires ? { expires: opts.expires } : {}),
      })) as { finding: { id: string; ack: { expiresAt: string | null } } };
      ctx.out(`${JSON.stringify(body)}\n`);
      ctx.err(
        `acknowledged ${body.finding.id}${body.finding.ack?.expiresAt ? ` until ${body.finding.ack.expiresAt}` : ''}\n`,
      );
      setExit(0);
    });
