import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { routes } from '../../../cli/commands/index.js';
import { buildProgram, runCli } from '../../../cli/program.js';
import { captureCli } from '../../cli-context.js';

const { ctx } = captureCli();

describe('the routing table', () => {
  it('names every route as its command calls itself, once, with its real usage and description', async () => {
    const names = routes.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of routes) {
      const cmd = (await r.load())(ctx, () => {});
      expect(cmd.name()).toBe(r.name);
      // `portdrift --help` lists the command from the table without loading it: same line.
      expect(`${r.name} ${r.usage}`.trim(), r.name).toBe(new Help().subcommandTerm(cmd));
      expect(r.summary, r.name).toBe(cmd.description());
    }
  });

  it('builds only the named command; for --version none; for help or an unknown word every one, listed without loading', async () => {
    expect((await buildProgram(ctx, () => {}, ['probe', '127.0.0.1'])).commands.map((c) => c.name())).toEqual(['probe']);
    expect((await buildProgram(ctx, () => {}, ['help', 'scan'])).commands.map((c) => c.name())).toEqual(['scan']);
    expect((await buildProgram(ctx, () => {}, ['--version'])).commands).toEqual([]);
    for (const argv of [['--help'], ['prob'], []]) {
      const listed = (await buildProgram(ctx, () => {}, argv)).commands;
      expect(listed.map((c) => c.name())).toEqual(routes.map((r) => r.name));
      // Listed only: no option, no argument, no action of the real command.
      expect(listed.every((c) => c.options.length === 0 && c.registeredArguments.length === 0)).toBe(true);
    }
    expect((await buildProgram(ctx, () => {}, [], { all: true })).commands.every((c) => c.options.length > 0 || c.commands.length > 0 || c.registeredArguments.length > 0)).toBe(true);
  });

  it('`portdrift --help` lists every command with its arguments, and a typo gets a suggestion', async () => {
    const c = captureCli();
    expect(await runCli(['--help'], c.ctx)).toBe(0);
    expect(c.out()).toMatch(/^\s+scan \[options\] <paths\.\.\.>\s+one-shot drift check/m);
    expect(c.out()).toMatch(/^\s+token\s+create, list and revoke/m);
    const typo = captureCli();
    expect(await runCli(['sacn'], typo.ctx)).toBe(1);
    expect(typo.err()).toMatch(/unknown command 'sacn'[\s\S]*Did you mean scan\?/);
  });
});
