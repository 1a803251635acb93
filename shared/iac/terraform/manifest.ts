// Modules installed by `terraform init`: `.terraform/modules/modules.json` beside the root
// module lists every module call by key (`vpc`, and `vpc.sg` for a call inside module.vpc) with
// the directory it was installed in, relative to the root module. Registry and git sources are
// followed there, as tflint and checkov do; without the file they cannot be read.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Problem } from '../../types.js';
import { relativeTo } from '../walk.js';

export interface Manifest {
  /** The manifest's path as shown in messages. */
  file: string;
  /** The absolute directory of the module with this key, if installed. */
  dirOf(key: string): string | undefined;
}

/** The manifest of the root module in `dir`: undefined when there is none; a problem when it is not readable. */
export async function readManifest(dir: string, root: string): Promise<Manifest | Problem | undefined> {
  const path = join(dir, '.terraform', 'modules', 'modules.json');
  const file = relativeTo(root, path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return { file, line: 1, code: 'PD_IAC_MODULE', message: `cannot be read (${code ?? (err as Error).message})` };
  }
  const dirs = new Map<string, string>();
  try {
    const json = JSON.parse(text) as { Modules?: unknown };
    if (!Array.isArray(json.Modules)) throw new Error('"Modules" must be a list');
    for (const m of json.Modules as unknown[]) {
      const { Key, Dir } = (m ?? {}) as { Key?: unknown; Dir?: unknown };
      if (typeof Key === 'string' && typeof Dir === 'string') dirs.set(Key, resolve(dir, Dir));
    }
  } catch (err) {
    const message = `is not a Terraform module manifest: ${(err as Error).message}`;
    return { file, line: 1, code: 'PD_IAC_MODULE', message };
  }
  return { file, dirOf: (key) => dirs.get(key) };
}
