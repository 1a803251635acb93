// Loading the declared model for the collector: the same extraction pipeline as `portdrift
// extract`, plus a revision kept with findings and plans. The revision names the git commit when
// the IaC root lies in a git checkout (read from .git/HEAD, the ref file or packed-refs: no git
// binary, no dependency), and always a digest of the extracted model, because a checkout with
// uncommitted edits has the same commit and another model.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { extract } from '../../shared/iac/extract.js';
import { stateSources } from '../../shared/live/state/index.js';
import type { DeclaredModel } from '../../shared/types.js';

export interface IacSource {
  paths: readonly string[];
  /** For state URLs (s3://, https://, tfc://): their credentials and endpoints. */
  env?: Readonly<Record<string, string | undefined>>;
  stateFiles: readonly string[];
  targetsFile?: string;
  varFiles: readonly string[];
  clusterDomain: string;
  cwd: string;
}

export interface LoadedModel {
  model: DeclaredModel;
  root: string;
  commit: string | null;
  digest: string;
  /** `<commit12>+<digest>` in a git checkout, else `<digest>`. */
  revision: string;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The commit checked out at `start` or above it, or null. Handles worktrees' `gitdir:` files. */
export async function gitCommit(start: string): Promise<string | null> {
  let dir = resolve(start);
  for (;;) {
    const dotgit = join(dir, '.git');
    if (await exists(dotgit)) {
      try {
        let gitDir = dotgit;
        if ((await stat(dotgit)).isFile()) {
          const m = /^gitdir:\s*(.+)$/m.exec(await readFile(dotgit, 'utf8'));
          if (!m) return null;
          gitDir = resolve(dir, m[1]!.trim());
        }
        const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
        if (/^[0-9a-f]{40,64}$/.test(head)) return head;
        const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
        if (!ref) return null;
        const common = (await exists(join(gitDir, 'commondir')))
          ? resolve(gitDir, (await readFile(join(gitDir, 'commondir'), 'utf8')).trim())
          : gitDir;
        for (const base of [gitDir, common]) {
          try {
            const sha = (await readFile(join(base, ref), 'utf8')).trim();
            if (/^[0-9a-f]{40,64}$/.test(sha)) return sha;
          } catch {
            /* try packed-refs */
          }
          try {
            const packed = await readFile(join(base, 'packed-refs'), 'utf8');
            const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
            if (line) return line.split(' ')[0]!;
          } catch {
            /* none */
          }
        }
        return null; // an unborn branch
      } catch {
        return null;
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

export function modelDigest(model: DeclaredModel): string {
  return createHash('sha256')
    .update(JSON.stringify([model.resources, model.endpoints]))
    .digest('hex')
    .slice(0, 16);
}

export async function loadModel(src: IacSource): Promise<LoadedModel> {
  // State URLs and globs are read as `extract --state` reads them.
  const sources = stateSources({ cwd: src.cwd, env: src.env ?? {} });
  const r = await extract(
    [...src.paths],
    {
      stateFiles: await sources.expand(src.stateFiles),
      varFiles: [...src.varFiles],
      clusterDomain: src.clusterDomain,
      ...(src.targetsFile ? { targetsFile: src.targetsFile } : {}),
    },
    { cwd: src.cwd, readState: (source, shown) => sources.read(source, shown) },
  );
  const model: DeclaredModel = {
    resources: r.resources,
    endpoints: r.endpoints,
    unresolved: r.unresolved,
    problems: r.problems,
  };
  const commit = await gitCommit(r.root);
  const digest = modelDigest(model);
  return { model, root: r.root, commit, digest, revision: commit ? `${commit.slice(0, 12)}+${digest}` : digest };
}
