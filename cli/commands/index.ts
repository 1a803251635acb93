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
  load: () => Promise<CommandFactory>;
}

export const routes: readonly CommandRoute[] = [
  { name: 'extract', load: async () => (await import('./extract.js')).extractCommand },
  { name: 'probe', load: async () => (await import('./probe.js')).probeCommand },
  { name: 'scan', load: async () => (await import('./scan.js')).scanCommand },
  { name: 'fix', load: async () => (await import('./fix.js')).fixCommand },
  { name: 'report', load: async () => (await import('./report.js')).reportCommand },
  { name: 'collector', load: async () => (await import('./collector.js')).collectorCommand },
  { name: 'agent', load: async () => (await import('./agent.js')).agentCommand },
  { name: 'token', load: async () => (await import('./token.js')).tokenCommand },
  { name: 'drift', load: async () => (await import('./drift.js')).driftCommand },
  { name: 'agents', load: async () => (await import('./agents.js')).agentsCommand },
  { name: 'history', load: async () => (await import('./history.js')).historyCommand },
  { name: 'ack', load: async () => (await import('./ack.js')).ackCommand },
  { name: 'ignore', load: async () => (await import('./ignore.js')).ignoreCommand },
];
