// Reading a `.portdriftignore` for `scan` (in the IaC root) and `drift` (`--ignore-file`, or the
// one in the working directory): a missing file is no rules; an unreadable or broken one stops
// the command before it reports anything, naming the file (and the line, shared/ignore-file.ts).
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { PortdriftError, errnoCode } from '../shared/errors.js';
import { type IgnoreFileRule, parseIgnoreFile } from '../shared/ignore-file.js';
import type { CliContext } from './context.js';

/** A path as the user would find it: relative to the working directory when it is below it. */
function shown(ctx: CliContext, path: string): string {
  const rel = relative(ctx.cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** The rules of the ignore file at `path`; null when it does not exist and `required` is false. */
export async function readIgnoreFile(
  ctx: CliContext,
  path: string,
  required = false,
): Promise<IgnoreFileRule[] | null> {
  const full = resolve(ctx.cwd, path);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' && !required) return null;
    const why = errnoCode(err) ?? (err as Error).message;
    throw new PortdriftError('PD_CONFIG_READ', `${shown(ctx, full)}: cannot read the ignore file (${why})`);
  }
  return parseIgnoreFile(text, shown(ctx, full));
}
