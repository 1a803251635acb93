#!/usr/bin/env node
// Build step (`npm run build`, after tsc): writes the whole command tree of this build to
// dist/cli/completion/tree.json, which `portdrift completion` prints from (whole-tree.ts says
// why). An entrypoint, so it may touch `process`.
import { writeFileSync } from 'node:fs';
import { VERSION } from '../../shared/version.js';
import { routes } from '../commands/index.js';
import type { CliContext } from '../context.js';
import { buildProgram } from '../program.js';
import { treeFile } from './tree-file.js';
import { wholeTree } from './whole-tree.js';

const quiet: CliContext = {
  out: () => undefined,
  err: (text) => void process.stderr.write(text),
  stdoutIsTTY: false,
  stderrIsTTY: false,
  env: {},
  cwd: process.cwd(),
  shutdown: new Promise(() => undefined),
  onReload: () => () => undefined,
};
// The root program with no command built: its own options (--version, --help) are the root's.
const program = await buildProgram(quiet, () => undefined, ['--version']);
const tree = await wholeTree(quiet, program, routes);
writeFileSync(treeFile(), `${JSON.stringify({ version: VERSION, tree })}\n`);
