// `portdrift agents revoke|rotate NAME --data FILE`: an enrolled agent's keys, on the store file
// directly (as `portdrift token`). revoke: the agent's next request is 401 (its name is free to
// enroll again). rotate: the agent's next request hands it a new key (response header
// Portdrift-Agent-Key); its old key works until the new one is first used, at most --grace.
import { Command, Option } from 'commander';
import { openStore } from '../../collector/store/open.js';
import type { Store } from '../../collector/store/types.js';
import { parseDuration } from '../../shared/duration.js';
import type { CliContext, ExitCode } from '../context.js';

const dataOption = () =>
  new Option('--data <file>', 'the collector store (SQLite file or postgres:// URL)').default('./portdrift.db');

async function withStore<T>(ctx: CliContext, data: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openStore(data, { cwd: ctx.cwd, env: ctx.env, mustExist: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function agentKeyCommands(ctx: CliContext, setExit: (code: ExitCode) => void): Command[] {
  const revoke = new Command('revoke')
    .description('cut an agent off: revoke its keys; its next request is refused 401')
    .argument('<name>', 'the agent name')
    .addOption(dataOption())
    .action(async (name: string, opts: { data: string }) => {
      const keys = await withStore(ctx, opts.data, (s) => s.revokeAgent(name, new Date().toISOString()));
      ctx.err(`revoked ${keys.length} key(s) of agent ${name}: ${keys.map((k) => k.id).join(', ')}\n`);
      setExit(0);
    });
  const rotate = new Command('rotate')
    .description('give an agent a new key on its next request; the old key ends when the new one is first used')
    .argument('<name>', 'the agent name')
    .addOption(dataOption())
    .option('--grace <duration>', 'the old key dies after this long even if the agent never asked (e.g. 24h)', '24h')
    .action(async (name: string, opts: { data: string; grace: string }) => {
      const now = new Date();
      const by = new Date(now.getTime() + parseDuration(opts.grace)).toISOString();
      const keys = await withStore(ctx, opts.data, (s) => s.rotateAgent(name, now.toISOString(), by));
      ctx.err(
        `agent ${name} gets a new key on its next request; its old key (${keys.map((k) => k.id).join(', ')}) ` +
          `ends when the new one is first used, at the latest ${by}\n`,
      );
      setExit(0);
    });
  return [revoke, rotate];
}
