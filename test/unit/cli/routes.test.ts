import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { routes } from '../../../cli/commands/index.js';
import { allExamples } from '../../../cli/help-text.js';
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

  it(
    'builds only the named command; for --version none; for ' +
      'help or an unknown word every one, listed without loading',
    async () => {
      expect((await buildProgram(ctx, () => {}, ['probe', '127.0.0.1'])).commands.map((c) => c.name())).toEqual([
        'probe',
      ]);
      expect((await buildProgram(ctx, () => {}, ['help', 'scan'])).commands.map((c) => c.name())).toEqual(['scan']);
      expect((await buildProgram(ctx, () => {}, ['--version'])).commands).toEqual([]);
      for (const argv of [['--help'], ['prob'], []]) {
        const listed = (await buildProgram(ctx, () => {}, argv)).commands;
        expect(listed.map((c) => c.name())).toEqual(routes.map((r) => r.name));
        // Listed only: no option, no argument, no action of the real command.
        expect(listed.every((c) => c.options.length === 0 && c.registeredArguments.length === 0)).toBe(true);
      }
      expect(
        (await buildProgram(ctx, () => {}, [], { all: true })).commands.every(
          (c) => c.options.length > 0 || c.commands.length > 0 || c.registeredArguments.length > 0,
        ),
      ).toBe(true);
    },
  );

  it('`portdrift --help` lists every command with its arguments, and a typo gets a suggestion', async () => {
    const c = captureCli();
    expect(await runCli(['--help'], c.ctx)).toBe(0);
    expect(c.out()).toMatch(/^\s+scan \[options\] <paths\.\.\.>\s+one-shot drift check/m);
    expect(c.out()).toMatch(/^\s+token\s+create, list and revoke/m);
    expect(c.out()).toMatch(/Examples:\n {2}\$ portdrift scan infra\//);
    const typo = captureCli();
    expect(await runCli(['sacn'], typo.ctx)).toBe(1);
    expect(typo.err()).toMatch(/unknown command 'sacn'[\s\S]*Did you mean scan\?/);
  });
});

describe('--help of every command', () => {
  it.each(routes.map((r) => r.name))('%s: ends with two or three examples and the exit codes', async (name) => {
    const c = captureCli();
    expect(await runCli([name, '--help'], c.ctx)).toBe(0);
    const m = /\nExamples:\n((?: {2}\$ portdrift .+\n)+)\nExit codes:\n((?: {2}[0-9] .+\n)+)\n?$/.exec(c.out());
    expect(m, c.out()).not.toBeNull();
    const examples = m![1]!.trimEnd().split('\n');
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples.length).toBeLessThanOrEqual(3);
    for (const e of examples) expect(e).toMatch(new RegExp(`^ {2}\\$ portdrift ${name}\\b`));
    expect(m![2]).toMatch(/^ {2}0 /);
  });

  it('every example uses only flags its command has', async () => {
    const program = await buildProgram(ctx, () => {}, [], { all: true });
    const problems: string[] = [];
    for (const [, example] of allExamples()) {
      const words = example.split(/\s+/).slice(1);
      let cmd = program;
      for (const w of words) {
        const sub = cmd.commands.find((c) => c.name() === w);
        if (sub) cmd = sub;
        else break;
      }
      const longs = new Set([...cmd.options.map((o) => o.long), '--help']);
      for (const flag of words.filter((w) => /^--[a-z]/.test(w)))
        if (!longs.has(flag)) problems.push(`${example}: ${cmd.name()} has no ${flag}`);
    }
    expect(problems).toEqual([]);
  });
});
