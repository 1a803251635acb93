// `npm run build` snapshots the whole command tree for `portdrift completion` (so it answers at
// the speed of bare Node): the snapshot must be exactly the tree the commands build now, or a
// new flag would complete only after someone remembered to rebuild.
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/program.js';
import { routes } from '../../../cli/commands/index.js';
import { wholeTree } from '../../../cli/completion/whole-tree.js';
import { VERSION } from '../../../shared/version.js';
import { captureCli } from '../../cli-context.js';

// The built module (dist/, made by `npm test`'s pretest build): it reads the file next to itself.
const built = async (): Promise<{ readTreeFile: (version: string) => unknown }> => {
  const path = '../../../dist/cli/completion/tree-file.js';
  return (await import(path)) as { readTreeFile: (version: string) => unknown };
};

describe('completion tree snapshot', () => {
  it('dist/cli/completion/tree.json equals the tree built from every command', async () => {
    const { readTreeFile } = await built();
    const snapshot = readTreeFile(VERSION);
    expect(snapshot, 'npm run build writes the snapshot').not.toBeNull();
    const { ctx } = captureCli();
    const program = await buildProgram(ctx, () => undefined, ['--version']);
    expect(snapshot).toEqual(JSON.parse(JSON.stringify(await wholeTree(ctx, program, routes))));
  });

  it('a snapshot of another version is ignored', async () => {
    const { readTreeFile } = await built();
    expect(readTreeFile('0.0.0-not-this-build')).toBeNull();
  });
});
