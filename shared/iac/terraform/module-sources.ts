// Where a module's calls lead: every `module` block's source resolved to a loaded directory
// before evaluation starts (evaluation is synchronous), from a local path or, for registry and
// git sources, the directory `terraform init` recorded in `.terraform/modules/modules.json`
// (manifest.ts). A source that cannot be loaded, or that would expand a module inside itself,
// becomes a problem for its caller instead of a directory.
import { bodies, objectOf, type ModuleFile } from './block.js';
import type { Manifest } from './manifest.js';

export interface ModuleDir {
  dir: string;
  files: ModuleFile[];
}

export interface Loader {
  /** The parsed module in an absolute directory (cached), or a reason it cannot be loaded. */
  load(dir: string): Promise<ModuleDir | string>;
  resolveSource(fromDir: string, source: string): string;
}

const MAX_DEPTH = 32;
const isLocal = (source: string): boolean => /^\.\.?\//.test(source);
/** Override files (`override.tf`, `*_override.tf`) come last, as in Terraform, where what they set wins. */
export const isOverride = (file: string): boolean => /(?:^|[/_])override\.tf(?:\.json)?$/.test(file);

/** What a module call's source resolved to, by module key (`a.b` for module.a's module.b). */
export type Resolved = Map<string, ModuleDir | { problem: string }>;

/** Every module call's directory, loaded before evaluation starts (evaluation is synchronous). */
export async function preload(
  mod: ModuleDir,
  key: string,
  loader: Loader,
  manifest: Manifest | undefined,
  out: Resolved,
  stack: readonly string[],
): Promise<void> {
  const seen = new Set<string>();
  for (const mf of mod.files) {
    for (const [name, v] of Object.entries(objectOf(mf.json.module))) {
      const body = bodies(v)[0];
      const source = body?.source;
      if (seen.has(name) || typeof source !== 'string') continue;
      seen.add(name);
      const childKey = key ? `${key}.${name}` : name;
      let dir: string;
      if (isLocal(source)) dir = loader.resolveSource(mod.dir, source);
      else {
        const installed = manifest?.dirOf(childKey);
        if (!installed) {
          const why = manifest
            ? `is not in ${manifest.file} (run \`terraform init\` again)`
            : 'is not a local path and no `.terraform/modules/modules.json` was found (run `terraform init` first)';
          const problem = `source ${JSON.stringify(source)} ${why}; the module's resources are not extracted`;
          out.set(childKey, { problem });
          continue;
        }
        dir = installed;
      }
      if (stack.includes(dir) || stack.length >= MAX_DEPTH) {
        const problem = `source ${JSON.stringify(source)} calls a module that is already being expanded (a cycle)`;
        out.set(childKey, { problem });
        continue;
      }
      const child = await loader.load(dir);
      if (typeof child === 'string') {
        out.set(childKey, { problem: `source ${JSON.stringify(source)}: ${child}` });
        continue;
      }
      out.set(childKey, child);
      await preload(child, childKey, loader, manifest, out, [...stack, mod.dir]);
    }
  }
}
