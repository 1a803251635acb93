// `portdrift agents`: the agents a collector knows: last seen, version, spool depth and drops,
// and whether they are late (no batch for three intervals).
import { Command, Option } from 'commander';
import { PortdriftError } from '../../shared/errors.js';
import { callCollector, table, withClientOptions, type ClientOptions } from '../collector-client.js';
import { agentKeyCommands } from './agent-keys.js';
import type { CommandFactory } from './index.js';

interface AgentRow {
  name: string;
  version: string | null;
  lastSeen: string;
  late: boolean;
  spoolDepth: number;
  spoolDropped: number;
  batches: number;
  observations: number;
}

export const agentsCommand: CommandFactory = (ctx, setExit) => {
  const cmd = withClientOptions(new Command('agents').description('the agents a collector knows, and which are late'));
  for (const sub of agentKeyCommands(ctx, setExit)) cmd.addCommand(sub);
  return cmd
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices(['table', 'json']))
    .action(async (opts: ClientOptions & { format?: 'table' | 'json' }) => {
      const body = (await callCollector(ctx, opts, 'GET', 'v1/agents')) as { agents: AgentRow[] };
      if (!Array.isArray((body as { agents?: unknown })?.agents)) throw new PortdriftError('PD_COLLECTOR_RESPONSE', 'GET /v1/agents: the collector answered without an `agents` list (is --collector a portdrift collector?)');
      const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
      if (format === 'json') ctx.out(`${JSON.stringify(body, null, 2)}\n`);
      else if (body.agents.length === 0) ctx.out('no agent has reported yet\n');
      else ctx.out(table(['AGENT', 'VERSION', 'LAST SEEN', 'STATUS', 'SPOOL', 'DROPPED', 'BATCHES'], body.agents.map((a) => [a.name, a.version ?? '-', a.lastSeen, a.late ? 'LATE' : 'ok', String(a.spoolDepth), String(a.spoolDropped), String(a.batches)])));
      setExit(0);
    });
};
