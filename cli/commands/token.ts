// `portdrift token create|list|revoke --data FILE`: API tokens, on the store file directly (the
// collector need not run; SQLite's busy timeout lets both write the file). A new token is
// printed once, on stdout; only its SHA-256 is stored.
import { Command, Option } from 'commander';
import { openStore } from '../../collector/store/open.js';
import { ROLES, type Role, type Store, type TokenRecord } from '../../collector/store/types.js';
import { PortdriftError } from '../../shared/errors.js';
import { parseDuration } from '../../shared/duration.js';
import { checkCidr } from '../../shared/scope.js';
import { table } from '../collector-client.js';
import type { CliContext } from '../context.js';
import type { CommandFactory } from './index.js';

const NAME = /^[A-Za-z0-9._:@/+-]{1,200}$/;

async function withStore<T>(
  ctx: CliContext,
  data: string,
  mustExist: boolean,
  fn: (s: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore(data, { cwd: ctx.cwd, env: ctx.env, mustExist });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `--scope 10.1.0.0/16,fd00::/64` (comma-separated, repeatable) → the CIDRs, every bad one named at once. */
function scopeList(values: readonly string[]): string[] {
  const list = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const problems = list.flatMap((c, i) => {
    const p = checkCidr(c);
    return p === null ? [] : [`--scope[${i}]: ${p}`];
  });
  if (problems.length > 0) {
    throw new PortdriftError('PD_USAGE', `invalid --scope:\n  ${problems.join('\n  ')}`, { details: { problems } });
  }
  if (list.length === 0) throw new PortdriftError('PD_USAGE', '--scope: give at least one CIDR');
  return list;
}

/** An agent token without a scope (created before scopes existed) may report on any address. */
function unscopedWarning(t: TokenRecord): string | null {
  if (t.role !== 'agent' || t.revokedAt !== null || t.scope !== null) return null;
  return `agent token ${t.name} has no scope: it may report on any address; replace it with one created with --scope`;
}

interface TokenOptions {
  data: string;
  role: Role;
  name: string;
  scope?: string[];
  expires?: string;
  maxUses?: string;
}

const dataOption = () =>
  new Option('--data <file>', 'the collector store (SQLite file or postgres:// URL)').default('./portdrift.db');

export const tokenCommand: CommandFactory = (ctx, setExit) => {
  const cmd = new Command('token').description('create, list and revoke API tokens (on the store file directly)');
  cmd
    .command('create')
    .description('create a token and print it once')
    .addOption(dataOption())
    .addOption(
      new Option(
        '--role <role>',
        'agent (plan + observations), reader (queries), admin (ack, ignores, reload, reports), ' +
          'enroll (only POST /v1/enroll: agents trade it for their own keys)',
      )
        .choices([...ROLES])
        .makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'who or what holds it (an agent token: the agent name)')
    .option(
      '--scope <cidrs...>',
      'agent tokens (required): the CIDRs the agent may report on and is planned for, comma-separated or repeated; ' +
        '0.0.0.0/0,::/0 for any; enroll secrets (required): the CIDRs the agents they enroll may ask for',
    )
    .option('--expires <duration>', 'enroll secrets: stop enrolling after this long (e.g. 24h, 7d)')
    .option('--max-uses <n>', 'enroll secrets: enroll at most this many agents')
    .action(async (opts: TokenOptions) => {
      if (!NAME.test(opts.name))
        throw new PortdriftError(
          'PD_USAGE',
          `--name ${JSON.stringify(opts.name)}: letters, digits and ._:@/+- only, at most 200`,
        );
      // Secure by default: an agent token states the addresses it may report on; "any" must be
      // asked for (0.0.0.0/0,::/0), so a stolen token of one subnet cannot rewrite another's.
      if (opts.role === 'agent' && opts.scope === undefined) {
        const why = 'the addresses its agent may report on, as in its --scope; 0.0.0.0/0,::/0 for any';
        throw new PortdriftError('PD_USAGE', `an agent token needs --scope CIDR,… (${why})`);
      }
      if (opts.role === 'enroll' && opts.scope === undefined) {
        const why = 'the addresses the agents it enrolls may ask for; each agent key gets the scope its agent asks for';
        throw new PortdriftError('PD_USAGE', `an enroll secret needs --scope CIDR,… (${why})`);
      }
      if (opts.role !== 'agent' && opts.role !== 'enroll' && opts.scope !== undefined) {
        const why = `a ${opts.role} token reports nothing`;
        throw new PortdriftError('PD_USAGE', `--scope is for agent tokens (and enroll secrets); ${why}`);
      }
      if (opts.role !== 'enroll' && (opts.expires !== undefined || opts.maxUses !== undefined)) {
        throw new PortdriftError('PD_USAGE', '--expires and --max-uses are for enroll secrets (--role enroll)');
      }
      const scope = opts.scope === undefined ? null : scopeList(opts.scope);
      const now = new Date().toISOString();
      const expiresAt =
        opts.expires === undefined ? null : new Date(Date.parse(now) + parseDuration(opts.expires)).toISOString();
      if (opts.maxUses !== undefined && !/^[1-9]\d{0,8}$/.test(opts.maxUses)) {
        const got = JSON.stringify(opts.maxUses);
        throw new PortdriftError('PD_USAGE', `--max-uses ${got}: a whole number of at least 1`);
      }
      const maxUses = opts.maxUses === undefined ? null : Number(opts.maxUses);
      const input = { name: opts.name, role: opts.role, now, scope, expiresAt, maxUses };
      const { token, record } = await withStore(ctx, opts.data, false, (s) => s.createToken(input));
      ctx.out(`${token}\n`);
      ctx.err(`created ${record.role} token ${record.id} for ${record.name}; it is shown only now, store it safely\n`);
      setExit(0);
    });
  cmd
    .command('list')
    .description('list tokens (never their secrets)')
    .addOption(dataOption())
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices([
        'table',
        'json',
      ]),
    )
    .action(async (opts: { data: string; format?: 'table' | 'json' }) => {
      const tokens = await withStore(ctx, opts.data, true, (s) => s.listTokens());
      const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
      if (format === 'json') ctx.out(`${JSON.stringify({ tokens }, null, 2)}\n`);
      else {
        const scope = (t: TokenRecord) => t.scope?.join(',') ?? (t.role === 'agent' ? 'any (no scope)' : '-');
        const uses = (t: TokenRecord) => (t.role === 'enroll' ? `${t.uses ?? 0}/${t.maxUses ?? '∞'}` : '-');
        const rows = tokens.map((t) => [
          t.id,
          t.name,
          t.role,
          scope(t),
          t.createdAt,
          t.lastUsedAt ?? '-',
          t.revokedAt ?? '-',
          t.expiresAt ?? '-',
          uses(t),
        ]);
        ctx.out(table(['ID', 'NAME', 'ROLE', 'SCOPE', 'CREATED', 'LAST USED', 'REVOKED', 'EXPIRES', 'USES'], rows));
      }
      for (const t of tokens) {
        const w = unscopedWarning(t);
        if (w) ctx.err(`warning: ${w}\n`);
      }
      setExit(0);
    });
  cmd
    .command('revoke')
    .description('revoke a token by id or name; requests with it are refused at once')
    .argument('<id-or-name>')
    .addOption(dataOption())
    .action(async (which: string, opts: { data: string }) => {
      const t = await withStore(ctx, opts.data, true, (s) => s.revokeToken(which, new Date().toISOString()));
      ctx.err(`revoked ${t.role} token ${t.id} (${t.name})\n`);
      setExit(0);
    });
  return cmd;
};
