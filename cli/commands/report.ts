// `portdrift report`: the emailed report, on demand.
//   --out FILE            render without sending: from the collector (`GET /v1/report/preview`),
//                         or from saved findings with --from FILE (no collector needed)
//   --send                ask the collector to make and send the report now
//                         (`POST /v1/report/send`); it goes through the collector's outbox, so a
//                         relay outage delays it, never loses it
// The file type follows the extension of --out: .html (default), .txt (the text part), .json
// (the attachment); `--out -` writes to stdout.
import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildReportModel, reportDataFromDrift } from '../../collector/report/model.js';
import { renderReport, type RenderedReport } from '../../collector/report/render.js';
import { PortdriftError } from '../../shared/errors.js';
import { readSavedReport } from '../../shared/fix/findings-file.js';
import { callCollector, withClientOptions, type ClientOptions } from '../collector-client.js';
import type { CliContext } from '../context.js';
import type { CommandFactory } from './index.js';

interface ReportOptions extends ClientOptions {
  out?: string;
  send?: boolean;
  from?: string;
  scope: string;
}

// Rendering a report may take a while on a large estate (the HTML chart and the attachment).
const call = (ctx: CliContext, opts: ReportOptions, method: 'GET' | 'POST', path: string): Promise<unknown> =>
  callCollector(ctx, opts, method, path, undefined, { timeoutMs: 120_000 });

function pick(r: RenderedReport, out: string): string {
  if (/\.json$/i.test(out)) return r.attachment.content;
  if (/\.txt$/i.test(out)) return r.text;
  return r.html;
}

export const reportCommand: CommandFactory = (ctx, setExit) =>
  withClientOptions(
    new Command('report').description(
      'render the emailed report without sending it (--out), or ask the collector to send it now (--send)',
    ),
  )
    .option('--out <file>', 'write the report: .html (default), .txt (text part) or .json (attachment); - for stdout')
    .option('--send', 'ask the collector to make and send the report now')
    .option('--from <file>', 'render saved findings (`scan` / `drift --format json`) instead of asking a collector')
    .option('--scope <name>', 'the name in the subject and headers, with --from', 'default')
    .action(async (opts: ReportOptions) => {
      if (!opts.out && !opts.send)
        throw new PortdriftError('PD_USAGE', 'report needs --out FILE (render) or --send (send now)');
      if (opts.send && opts.from)
        throw new PortdriftError('PD_USAGE', '--send asks the collector; it cannot send saved findings (--from)');
      if (opts.out) {
        let rendered: RenderedReport;
        if (opts.from) {
          rendered = renderReport(
            buildReportModel(
              reportDataFromDrift(await readSavedReport(resolve(ctx.cwd, opts.from), opts.from), opts.scope),
            ),
          );
        } else {
          rendered = (await call(ctx, opts, 'GET', 'v1/report/preview')) as RenderedReport;
          if (
            typeof rendered?.html !== 'string' ||
            typeof rendered?.text !== 'string' ||
            typeof rendered?.attachment?.content !== 'string'
          ) {
            throw new PortdriftError('PD_COLLECTOR_RESPONSE', 'GET /v1/report/preview: not a rendered report');
          }
        }
        const content = pick(rendered, opts.out);
        if (opts.out === '-') ctx.out(content);
        else {
          await writeFile(resolve(ctx.cwd, opts.out), content).catch((err: NodeJS.ErrnoException) => {
            throw new PortdriftError('PD_USAGE', `--out ${opts.out}: cannot write it: ${err.code ?? err.message}`, {
              cause: err,
            });
          });
          ctx.err(`wrote ${opts.out}: ${rendered.subject}\n`);
        }
      }
      if (opts.send) {
        const r = (await call(ctx, opts, 'POST', 'v1/report/send')) as {
          id?: string;
          subject?: string;
          sent?: boolean;
          error?: string;
          delivery?: { sent: number; failed: number; pending: number };
        };
        ctx.out(`${JSON.stringify(r)}\n`);
        // A collector older than `sent` answers with the flush's counts only.
        if (r.sent ?? (r.delivery?.sent ?? 0) > 0) ctx.err(`sent: ${r.subject}\n`);
        else {
          // A delivery that failed now is an error for whoever asked for it (cron, CI), even
          // though the collector keeps retrying it from its outbox.
          ctx.err(
            `portdrift: not sent: ${r.error ?? 'the SMTP server did not take it'}; "` +
              `${r.subject}" stays in the collector's outbox (${r.id}) and is retried [PD_SMTP]\n`,
          );
          return setExit(1);
        }
      }
      setExit(0);
    });
