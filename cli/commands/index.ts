// The routing table: one file per subcommand, each exporting a function that builds its
// commander Command. Order here is the order of `portdrift --help`.
import type { Command } from 'commander';
import type { CliContext, ExitCode } from '../context.js';
import { collectorCommand } from './collector.js';
import { tokenCommand } from './token.js';
import { driftCommand } from './drift.js';
import { agentCommand } from './agent.js';
import { agentsCommand } from './agents.js';
import { historyCommand } from './history.js';
import { ackCommand } from './ack.js';
import { ignoreCommand } from './ignore.js';
import { extractCommand } from './extract.js';
import { fixCommand } from './fix.js';
import { probeCommand } from './probe.js';
import { reportCommand } from './report.js';
import { scanCommand } from './scan.js';

export type CommandFactory = (ctx: CliContext, setExit: (code: ExitCode) => void) => Command;

export const commands: CommandFactory[] = [
  extractCommand,
  probeCommand,
  scanCommand,
  fixCommand,
  reportCommand,
  collectorCommand,
  agentCommand,
  tokenCommand,
  driftCommand,
  agentsCommand,
  historyCommand,
  ackCommand,
  ignoreCommand,
];
