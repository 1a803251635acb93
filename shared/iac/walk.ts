// Expanding the paths given on the command line into the files to extract, and choosing the IaC
// root that every `source.file` is relative to.
//
// The root rule: the deepest directory that contains every given path, where a directory counts
// as itself and a file as its parent directory. One directory → that directory; one file → its
// directory; `infra/tf infra/k8s/app.yaml` → `infra`. Relative paths are resolved against the
// working directory first. The rule does not depend on the order of the paths.
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Problem } from '../types.js';

/** Directories never entered: VCS data, dependencies, and Terraform's provider/module cache (which holds copies of modules). */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules', '.terraform']);

/** File names an IaC format could hide in: these are read and, when no extractor claims them, reported. Any other file found in a directory is offered by name only and skipped silently if unclaimed. */
const IAC_LIKE = /\.(tf|tf\.json|tfvars|tfvars\.json|ya?ml|json|template)$/i;

export function isIacLike(path: string): boolean {
  return IAC_LIKE.test(path);
}

export interface WalkEntry {
  /** Absolute path. */
  path: string;
  /** Relative to the root, with `/` separators. */
  file: string;
  /** Named on the command line (never skipped silently). */
  explicit: boolean;
}

export interface WalkResult {
  root: string;
  entries: WalkEntry[];
  problems: Problem[];
}

export function toPosix(p: string): string {
  return p.split(sep).join('/');
}

export function relativeTo(root: string, path: string): string {
  const rel = toPosix(relative(root, path));
  return rel === '' ? '.' : rel;
}

/** The deepest common directory of `dirs` (absolute paths). */
export function commonDir(dirs: string[]): string {
  if (dirs.length === 0) return sep;
  let parts = dirs[0]!.split(sep);
  for (const d of dirs.slice(1)) {
    const other = d.split(sep);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  const joined = parts.join(sep);
  return joined === '' ? sep : joined;
}

/**
 * Expand `paths` (files and directories) into files. `exclude` holds absolute paths of files
 * given for another purpose (state, targets, parameters, var files) that a directory walk would
 * otherwise offer as IaC.
 */
export async function walk(paths: string[], cwd: string, exclude: ReadonlySet<string> = new Set()): Promise<WalkResult> {
  const problems: Problem[] = [];
  const given: { abs: string; dir: boolean }[] = [];
  for (const p of paths) {
    const abs = isAbsolute(p) ? resolve(p) : resolve(cwd, p);
    try {
      const info = await stat(abs);
      given.push({ abs, dir: info.isDirectory() });
    } catch (err) {
      problems.push({ file: toPosix(p), code: 'PD_IAC_PATH', message: `path cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    }
  }
  // The root is computed from every given path, readable or not, so that one missing path does
  // not shift the `source.file` of the others.
  const root = commonDir(paths.map((p) => {
    const abs = isAbsolute(p) ? resolve(p) : resolve(cwd, p);
    const g = given.find((x) => x.abs === abs);
    return g?.dir ? abs : dirname(abs);
  }));
  for (const pr of problems) pr.file = relativeTo(root, resolve(cwd, pr.file));

  const seen = new Set<string>();
  const entries: WalkEntry[] = [];
  const add = (abs: string, explicit: boolean): void => {
    if (seen.has(abs) || exclude.has(abs)) return;
    seen.add(abs);
    entries.push({ path: abs, file: relativeTo(root, abs), explicit });
  };
  for (const g of given) {
    if (!g.dir) add(g.abs, true);
    else for (const f of await listDir(g.abs, root, problems)) add(f, false);
  }
  entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { root, entries, problems };
}

async function listDir(dir: string, root: string, problems: Problem[]): Promise<string[]> {
  let list;
  try {
    list = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    problems.push({ file: relativeTo(root, dir), code: 'PD_IAC_PATH', message: `directory cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return [];
  }
  const out: string[] = [];
  // Links to directories are not followed (a link to a parent would loop). A link to a file is
  // read when it resolves inside the tree: a Kubernetes ConfigMap or Secret volume is exactly
  // that (main.tf → ..data/main.tf → ..2026_12_03…/main.tf); a link out of the tree would put a
  // file outside the root. Directories named `..…` are the kubelet's atomic-update copies of
  // those same files: reading them too would extract every file twice.
  for (const d of list.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const abs = join(dir, d.name);
    if (d.isDirectory()) {
      if (!SKIPPED_DIRS.has(d.name) && !d.name.startsWith('..')) out.push(...(await listDir(abs, root, problems)));
    } else if (d.isFile()) {
      out.push(abs);
    } else if (d.isSymbolicLink() && !d.name.startsWith('..')) {
      const target = await realpath(abs).catch(() => null);
      if (target === null || !(await stat(target).then((st) => st.isFile(), () => false))) continue;
      const realRoot = await realpath(root).catch(() => root);
      if (target.startsWith(realRoot + sep)) out.push(abs);
      else problems.push({ file: relativeTo(root, abs), code: 'PD_IAC_PATH', message: `a link to ${target}, outside the tree; not read` });
    }
  }
  return out;
}
