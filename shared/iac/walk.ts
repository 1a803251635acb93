// Expanding the paths given on the command line into the files to extract, and choosing the IaC
// root that every `source.file` is relative to.
//
// The root rule: the deepest directory that contains every given path, where a directory counts
// as itself and a file as its parent directory. One directory → that directory; one file → its
// directory; `infra/tf infra/k8s/app.yaml` → `infra`. Relative paths are resolved against the
// working directory first. The rule does not depend on the order of the paths.
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Problem } from '../types.js';

/**
 * Directories never entered: VCS data, dependencies, Terraform's provider/module cache (which
 * holds copies of modules), and CI / editor settings, which are YAML and JSON but never IaC
 * (a GitLab or GitHub workflow has `services:` and would pass for a Compose file).
 */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git',
  'node_modules',
  '.terraform',
  '.github',
  '.gitlab',
  '.circleci',
  '.vscode',
  '.idea',
  '.devcontainer',
]);

/**
 * Files that are clearly not IaC although they are YAML or JSON: package manifests and lock
 * files, compiler and linter settings, CI pipelines, monitoring configs, kustomizations (which
 * only list other files). Skipped without a problem, also when a shell glob names them.
 */
const NOT_IAC = new RegExp(
  '^(?:' +
    [
      'package(-lock)?\\.json',
      'npm-shrinkwrap\\.json',
      'pnpm-(lock|workspace)\\.ya?ml',
      'composer\\.(json|lock)',
      'bower\\.json',
      '(ts|js)config(\\..+)?\\.json',
      'deno\\.jsonc?',
      'lerna\\.json',
      'nx\\.json',
      'turbo\\.json',
      'angular\\.json',
      'cdk(\\.context)?\\.json',
      'babel\\.config\\.json',
      '\\.(eslintrc|prettierrc|stylelintrc|babelrc|releaserc|markdownlint|yamllint|renovaterc)(\\.(json|ya?ml))?',
      'renovate\\.json5?',
      '\\.pre-commit-(config|hooks)\\.ya?ml',
      '\\.?codecov\\.ya?ml',
      '\\.golangci\\.ya?ml',
      '\\.goreleaser\\.ya?ml',
      'mkdocs\\.ya?ml',
      '\\.readthedocs\\.ya?ml',
      '\\.gitlab-ci\\.ya?ml',
      '\\.travis\\.ya?ml',
      'appveyor\\.ya?ml',
      '\\.drone\\.ya?ml',
      'azure-pipelines\\.ya?ml',
      'bitbucket-pipelines\\.ya?ml',
      'buildspec\\.ya?ml',
      'cloudbuild\\.ya?ml',
      'prometheus\\.ya?ml',
      'alertmanager\\.ya?ml',
      'kustomization\\.ya?ml',
      'Kustomization',
      'Chart\\.(ya?ml|lock)',
      // Helm values files, API descriptions, other tools' settings.
      'values([-._][^/]*)?\\.ya?ml',
      '(openapi|swagger)([-._][^/]*)?\\.(ya?ml|json)',
      'tslint\\.json',
      'vercel\\.json',
      'Taskfile\\.ya?ml',
      '\\.gitpod\\.ya?ml',
    ].join('|') +
    ')$',
  'i',
);

export function isNotIac(path: string): boolean {
  const name = path.split(/[\\/]/).pop() ?? path;
  return NOT_IAC.test(name);
}

/** A Helm chart is a directory with this file; its templates are not YAML until rendered. */
const HELM_CHART = 'Chart.yaml';

/** File names an IaC format could hide in: these are read and, when no extractor claims them, reported. Any other file
 * found in a directory is offered by name only and skipped silently if unclaimed. */
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
  /** For a link: the file it resolved to when it was checked, which is what is read. */
  read?: string;
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
export async function walk(
  paths: string[],
  cwd: string,
  exclude: ReadonlySet<string> = new Set(),
): Promise<WalkResult> {
  const problems: Problem[] = [];
  const given: { abs: string; dir: boolean }[] = [];
  for (const p of paths) {
    const abs = isAbsolute(p) ? resolve(p) : resolve(cwd, p);
    try {
      const info = await stat(abs);
      given.push({ abs, dir: info.isDirectory() });
    } catch (err) {
      problems.push({
        file: toPosix(p),
        code: 'PD_IAC_PATH',
        message: `path cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      });
    }
  }
  // The root is computed from every given path, readable or not, so that one missing path does
  // not shift the `source.file` of the others.
  const root = commonDir(
    paths.map((p) => {
      const abs = isAbsolute(p) ? resolve(p) : resolve(cwd, p);
      const g = given.find((x) => x.abs === abs);
      return g?.dir ? abs : dirname(abs);
    }),
  );
  for (const pr of problems) pr.file = relativeTo(root, resolve(cwd, pr.file));

  const seen = new Set<string>();
  const entries: WalkEntry[] = [];
  const add = (abs: string, explicit: boolean, read?: string): void => {
    if (seen.has(abs) || exclude.has(abs)) return;
    seen.add(abs);
    entries.push({ path: abs, file: relativeTo(root, abs), explicit, ...(read !== undefined ? { read } : {}) });
  };
  for (const g of given) {
    if (!g.dir) add(g.abs, true);
    else {
      // Links are followed only within the directory given (its real path: it may itself be a
      // link, as a mounted volume is), never to anything the user did not name.
      const base = await realpath(g.abs).catch(() => g.abs);
      for (const f of await listDir(g.abs, root, problems, base, new Set([base]))) add(f.abs, false, f.read);
    }
  }
  entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { root, entries, problems };
}

const inside = (base: string, target: string): boolean => {
  const rel = relative(base, target);
  // `..2026_12_03…/main.tf` is inside (the kubelet's names begin with two dots); `../x` is not.
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

/**
 * Links are followed when they resolve inside the directory given: a Kubernetes ConfigMap or
 * Secret volume is exactly that (main.tf → ..data/main.tf → ..2026_12_03…/main.tf, and an item
 * with a sub-path is a directory link tf → ..data/tf). The resolved file is what is read, so a
 * link swapped after the check cannot point the read elsewhere. A link out of the tree, or one
 * that leads nowhere, is a problem; a directory is walked once (a link to a parent would loop).
 * Directories named `..…` are the kubelet's atomic-update copies of the same files: reading
 * them too would extract every file twice.
 */
async function listDir(
  dir: string,
  root: string,
  problems: Problem[],
  base: string,
  visited: Set<string>,
): Promise<Array<{ abs: string; read?: string }>> {
  let list: Dirent[];
  try {
    list = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    problems.push({
      file: relativeTo(root, dir),
      code: 'PD_IAC_PATH',
      message: `directory cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    });
    return [];
  }
  // A chart's templates are Go templates (`{{ .Values.port }}`): parsed as YAML each would be
  // dozens of problems, and their ports are only known after rendering. Named once instead.
  if (list.some((d) => d.name === HELM_CHART && (d.isFile() || d.isSymbolicLink()))) {
    const message =
      'a Helm chart (Chart.yaml): its templates are not rendered, so not extracted; ' +
      'render it with `helm template` and extract the output';
    problems.push({ file: relativeTo(root, dir), code: 'PD_IAC_NOT_RENDERED', message });
    return [];
  }
  const out: Array<{ abs: string; read?: string }> = [];
  for (const d of list.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const abs = join(dir, d.name);
    if (d.name.startsWith('..')) continue;
    if (d.isDirectory()) {
      if (SKIPPED_DIRS.has(d.name)) continue;
      const real = await realpath(abs).catch(() => abs);
      if (visited.has(real)) continue;
      visited.add(real);
      out.push(...(await listDir(abs, root, problems, base, visited)));
    } else if (d.isFile()) {
      out.push({ abs });
    } else if (d.isSymbolicLink()) {
      const target = await realpath(abs).catch(() => null);
      const info = target === null ? null : await stat(target).catch(() => null);
      if (target === null || info === null) {
        problems.push({
          file: relativeTo(root, abs),
          code: 'PD_IAC_PATH',
          message: 'a link that leads nowhere; not read',
        });
      } else if (!inside(base, target)) {
        problems.push({
          file: relativeTo(root, abs),
          code: 'PD_IAC_PATH',
          message: `a link to ${target}, outside the directory given; not read`,
        });
      } else if (info.isFile()) {
        out.push({ abs, read: target });
      } else if (info.isDirectory() && !SKIPPED_DIRS.has(d.name) && !visited.has(target)) {
        visited.add(target);
        out.push(...(await listDir(abs, root, problems, base, visited)));
      }
    }
  }
  return out;
}
