// The routing table: one file per subcommand, each exporting a function that builds its
// commander Command. Order here is the order of `portdrift --help`.
//
// Each route loads its module on demand: a run of one command imports only that command's
// dependencies. `portdrift probe` in an agent-sized sweep must not carry the collector's SQLite
// driver, nodemailer and undici in its heap (about 23 MB of RSS and 0.5 s of CPU at start-up).
import type { Command } from 'commander';
import type { CliContext, ExitCode } from '../context.js';

export type CommandFactory = (ctx: CliContext, setExit: (code: ExitCode) => void) => Command;

export interface CommandRoute {
  name: string;
  /**
   * What `portdrift --help` lists for the command (its arguments, `[options]` when it has any)
   * and its one-line description: the top-level help, and a typo's suggestion, load no command
   * module at all. A test checks both against the loaded command.
   */
  usage: string;
  summary: string;
  load: () => Promise<CommandFactory>;
}

export const routes: readonly CommandRoute[] = [
  {
    name: 'extract',
    usage: '[options] <paths...>',
    summary: 'print the declared model: resources, hosts, ports with file:line, and what could not be resolved',
    load: async () => (await import('./extract.js')).extractCommand,
  },
  {
    name: 'probe',
    usage: '[options] <hosts...>',
    summary: 'raw TCP connect probe (the agent engine): the state of every host:port',
    load: async () => (await import('./probe.js')).probeCommand,
  },
  {
    name: 'scan',
    usage: '[options] <paths...>',
    summary: 'one-shot drift check from this machine: extract the IaC, probe its hosts, print the findings',
    load: async () => (await import('./scan.js')).scanCommand,
  },
  {
    name: 'fix',
    usage: '[options] <paths...>',
    summary:
      'turn moved findings into a patch of the IaC files (a unified diff; --write applies it): ' +
      'scans like `portdrift scan`, or reads --from FILE',
    load: async () => (await import('./fix.js')).fixCommand,
  },
  {
    name: 'report',
    usage: '[options]',
    summary: 'render the emailed report without sending it (--out), or ask the collector to send it now (--send)',
    load: async () => (await import('./report.js')).reportCommand,
  },
  {
    name: 'collector',
    usage: '[options]',
    summary: 'run the collector: agent API, SQLite store, drift lifecycle, reports',
    load: async () => (await import('./collector.js')).collectorCommand,
  },
  {
    name: 'agent',
    usage: '[options]',
    summary:
      'run an agent: pull the plan, probe inside --scope only, ' +
      'stream observations to the collector (no listening port)',
    load: async () => (await import('./agent.js')).agentCommand,
  },
  {
    name: 'token',
    usage: '',
    summary: 'create, list and revoke API tokens (on the store file directly)',
    load: async () => (await import('./token.js')).tokenCommand,
  },
  {
    name: 'store',
    usage: '',
    summary: 'copy a SQLite collector store into PostgreSQL (store migrate --from FILE --to URL)',
    load: async () => (await import('./store.js')).storeCommand,
  },
  {
    name: 'drift',
    usage: '[options]',
    summary: "the collector's findings (exit 0 none, 2 findings, 1 error)",
    load: async () => (await import('./drift.js')).driftCommand,
  },
  {
    name: 'agents',
    usage: '[options]',
    summary: 'the agents a collector knows, and which are late',
    load: async () => (await import('./agents.js')).agentsCommand,
  },
  {
    name: 'history',
    usage: '[options]',
    summary: 'finding transitions recorded by the collector',
    load: async () => (await import('./history.js')).historyCommand,
  },
  {
    name: 'ack',
    usage: '[options] <id>',
    summary: 'acknowledge a finding: it stays listed and stops failing `drift` (until --expires)',
    load: async () => (await import('./ack.js')).ackCommand,
  },
  {
    name: 'ignore',
    usage: '',
    summary: "the collector's ignore rules: endpoints never probed, or findings of one kind hidden",
    load: async () => (await import('./ignore.js')).ignoreCommand,
  },
  {
    name: 'completion',
    usage: '<shell>',
    summary: 'print a shell completion script: bash, zsh or fish',
    load: async () => (await import('./completion.js')).completionCommand,
  },
];
