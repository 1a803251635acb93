// Throw-away IaC projects for the extraction tests: one temporary directory per test file,
// removed after it, and `project(name, files)` writing each file (relative name → text, folders
// made as needed) into a fresh sub-directory that it returns.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export type Project = (name: string, files: Record<string, string>) => Promise<string>;

export function tempProjects(label: string): Project {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `portdrift-${label}-`));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return async (name, files) => {
    if (!dir) throw new Error('tempProjects: used outside a test');
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(join(d, file)), { recursive: true });
      await writeFile(join(d, file), text);
    }
    return d;
  };
}
