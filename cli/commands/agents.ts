// `portdrift agents`: the agents a collector knows: last seen, version, key age, pod (and the IaC
// workload it maps to), spool depth and drops, and whether they are late (no batch for three
// intervals).
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
  /** Absent from collectors older than key ages and pods. */
  keyAgeMs?: number | null;
  pod?: { name?: string; namespace?: string; labels?: Record<string, string> } | null;
  workloads?: string[];
}

/** `45s`, `12m`, `5h3m`, `3d4h`: the two largest units, enough to tell an old key from a new one. */
export function ageText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(ms));
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${u}`);
    if (parts.length === 2) break;
  }
  const text = parts.filter((p, i) => i === 0 || !p.startsWith('0')).join('');
  return text === '' ? '0s' : text;
}

function podText(a: AgentRow): string {
  if (!a.pod) return '-';
  const pod = a.pod.namespace || a.pod.name ? `${a.pod.namespace ?? '?'}/${a.pod.name ?? '?'}` : 'pod';
  return a.workloads && a.workloads.length > 0 ? `${pod} (${a.workloads.join(', ')})` : pod;
}

export const agentsCommand: CommandFactory = (ctx, setExit) => {
  const cmd = withClientOptions(new Command('agents').description('the agents a collector knows, and which are late'));
  for (const sub of agentKeyCommands(ctx, setExit)) cmd.addCommand(sub);
  return cmd
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices([
        'table',
        'json',
      ]),
    )
    .action(async (opts: ClientOptions & { format?: 'table' | 'json' }) => {
      const body = (await callCollector(ctx, opts, 'GET', 'v1/agents')) as { agents: AgentRow[] };
      if (!Array.isArray((body as { agents?: unknown })?.agents))
        throw new PortdriftError(
          'PD_COLLECTOR_RESPONSE',
          'GET /v1/agents: the collector answered without an `agents` list (is --collector a portdrift collector?)',
        );
      const format = opts.format ?? (ctx.stdoutIsTTY ? 'table' : 'json');
      if (format === 'json') ctx.out(`${JSON.stringify(body, null, 2)}\n`);
      else if (body.agents.length === 0) ctx.out('no agent has reported yet\n');
      else {
        const head = ['AGENT', 'VERSION', 'LAST SEEN', 'STATUS', 'KEY AGE', 'SPOOL', 'DROPPED', 'BATCHES', 'POD'];
        const rows = body.agents.map((a) => [
          a.name,
          a.version ?? '-',
          a.lastSeen,
          a.late ? 'LATE' : 'ok',
          ageText(a.keyAgeMs),
          String(a.spoolDepth),
          String(a.spoolDropped),
          String(a.batches),
          podText(a),
        ]);
        ctx.out(table(head, rows));
      }
      setExit(0);
    });
};
