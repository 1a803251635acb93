// `portdrift store migrate --from FILE --to URL`: move a SQLite store up to PostgreSQL. Copies
// tokens (their hashes: every agent and reader keeps its token), findings with their acks and
// damping counters, history, ignore rules, the open-count series, agents and meta, in one
// transaction into an empty database. Observations are not copied: the agents' next sweeps bring
// them back. Stop the SQLite collector first, so nothing it accepts after the copy is left behind.
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { isPostgresUrl, redactUrl } from '../../collector/store/postgres/connect.js';
import { importIntoPostgres } from '../../collector/store/postgres/import.js';
import { exportSqlite } from '../../collector/store/sqlite-export.js';
import { PortdriftError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import type { CommandFactory } from './index.js';

export const storeCommand: CommandFactory = (ctx: CliContext, setExit) => {
  const cmd = new Command('store').description(
    'copy a SQLite collector store into PostgreSQL (store migrate --from FILE --to URL)',
  );
  cmd
    .command('migrate')
    .description('copy a SQLite store (tokens, findings, acks, ignores, history) into an empty PostgreSQL database')
    .addOption(new Option('--from <file>', 'the SQLite store file').makeOptionMandatory())
    .addOption(
      new Option('--to <url>', 'the PostgreSQL database: postgres://user@host:port/database').makeOptionMandatory(),
    )
    .action(async (opts: { from: string; to: string }) => {
      if (!isPostgresUrl(opts.to)) {
        throw new PortdriftError(
          'PD_USAGE',
          `--to ${redactUrl(opts.to)}: a PostgreSQL URL (postgres://user@host:port/database)`,
        );
      }
      const rows = exportSqlite(resolve(ctx.cwd, opts.from));
      const counts = await importIntoPostgres(opts.to, rows, { env: ctx.env });
      const what = Object.entries(counts)
        .map(([t, n]) => `${n} ${t}`)
        .join(', ');
      ctx.out(`${JSON.stringify({ from: opts.from, to: redactUrl(opts.to), copied: counts })}\n`);
      ctx.err(`copied ${what} from ${opts.from} to ${redactUrl(opts.to)}\n`);
      setExit(0);
    });
  return cmd;
};
