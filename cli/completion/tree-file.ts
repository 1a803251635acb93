// Where the build keeps the command tree for completion, and reading it back: a file of another
// version (a stale build) is ignored.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandSpec } from './tree.js';

export const treeFile = (): string => fileURLToPath(new URL('./tree.json', import.meta.url));

export function readTreeFile(version: string): CommandSpec | null {
  try {
    const data = JSON.parse(readFileSync(treeFile(), 'utf8')) as { version?: string; tree?: CommandSpec };
    return data.version === version && data.tree ? data.tree : null;
  } catch {
    return null;
  }
}
