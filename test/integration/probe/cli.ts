// Runs the built CLI (`node dist/cli/main.js`) inside a lab's client namespace: the prober
// sees only the lab's addresses. `npm test` builds dist/ first (pretest).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, RunResult } from '../../lab/netns.mjs';
import { readPortdrift, type PortdriftResult, type PortdriftSummary } from '../../lab/outputs.mjs';

export const root = join(import.meta.dirname, '..', '..', '..');
export const cliPath = join(root, 'dist', 'cli', 'main.js');

export function requireBuild(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first (npm test does)`);
}

export async function cli(lab: Lab, args: string[], timeoutMs = 90_000): Promise<RunResult> {
  requireBuild();
  return lab.run([process.execPath, cliPath, ...args], { timeoutMs, cwd: root });
}

export interface ProbeRun {
  run: RunResult;
  results: PortdriftResult[];
  summary: PortdriftSummary;
}

/**
 * `portdrift probe … --format json` in the lab: exit 0, output exactly as
 * docs/design/probe-engine.md#output says (every deviation named), or the call throws with stderr.
 */
export async function probe(lab: Lab, args: string[], timeoutMs?: number): Promise<ProbeRun> {
  const run = await cli(lab, ['probe', ...args, '--format', 'json'], timeoutMs);
  if (run.timedOut)
    throw new Error(
      `portdrift probe ${args.join(' ')} was killed after its timeout; stderr: ${run.stderr.slice(-2000)}`,
    );
  if (run.code !== 0)
    throw new Error(`portdrift probe ${args.join(' ')} exited ${run.code ?? run.signal}: ${run.stderr.slice(-2000)}`);
  const read = readPortdrift(run.stdout);
  if (read.problems.length || !read.summary)
    throw new Error(`portdrift probe output deviates from the contract:\n  ${read.problems.join('\n  ')}`);
  return { run, results: read.results, summary: read.summary };
}
