import { describe, expect, it } from 'vitest';
import { routes } from '../../../cli/commands/index.js';
import { buildProgram } from '../../../cli/program.js';
import { captureCli } from '../../cli-context.js';

const { ctx } = captureCli();

describe('the routing table', () => {
  it('names every route as its command calls itself, once', async () => {
    const names = routes.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of routes) expect((await r.load())(ctx, () => {}).name()).toBe(r.name);
  });

  it('loads only the named command, and every command for help or an unknown word', async () => {
    expect((await buildProgram(ctx, () => {}, ['probe', '127.0.0.1'])).commands.map((c) => c.name())).toEqual(['probe']);
    expect((await buildProgram(ctx, () => {}, ['--help'])).commands).toHaveLength(routes.length);
    expect((await buildProgram(ctx, () => {}, ['prob'])).commands).toHaveLength(routes.length);
  });
});
