// `--state` globs: `envs/*/terraform.tfstate` over local files, `s3://bucket/envs/*/terraform.tfstate`
// over an S3 prefix. `*` and `?` match within one path segment (never a `/`), as in a shell, so a
// pattern means the same against a disk and against S3 keys. Shells expand unquoted local globs
// themselves; a quoted one (or one in a script) is expanded here.
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, parse, resolve, sep } from 'node:path';
import { hasGlob, pathGlob } from '../../glob.js';

export { hasGlob, literalPrefix, pathGlob } from '../../glob.js';

/** Matches are bounded: a glob over a huge tree is a mistake, not a state set. */
export const MAX_MATCHES = 1000;

/** Local files matching `pattern` (relative to cwd), sorted; directories are not matched. */
export async function globFiles(pattern: string, cwd: string): Promise<string[]> {
  const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
  const { root } = parse(abs);
  const segments = abs.slice(root.length).split(sep).filter(Boolean);
  let bases = [root];
  for (const [i, seg] of segments.entries()) {
    const last = i === segments.length - 1;
    if (!hasGlob(seg)) {
      bases = bases.map((b) => join(b, seg));
      continue;
    }
    const matches = pathGlob(seg);
    const next: string[] = [];
    for (const b of bases) {
      const entries = await readdir(b, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
        if (matches(e.name) && (last || e.isDirectory())) next.push(join(b, e.name));
      }
      if (next.length > MAX_MATCHES) break;
    }
    bases = next.slice(0, MAX_MATCHES + 1);
  }
  const files: string[] = [];
  for (const f of bases) {
    const dir = await readdir(parse(f).dir, { withFileTypes: true }).catch(() => []);
    if (dir.some((e) => e.name === parse(f).base && !e.isDirectory())) files.push(f);
  }
  return files.sort();
}
