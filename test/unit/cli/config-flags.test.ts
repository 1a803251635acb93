// The one converter from a config schema to flags: the agent's and the collector's keys read the
// same way (a bool with or without a value, a list as several values or a repeated flag, an
// enum checked with every other problem), and the values reach buildConfig unchanged.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { agentSchema } from '../../../agent/daemon/config.js';
import { addSchemaOptions, schemaFlags } from '../../../cli/config-flags.js';
import { collectorSchema } from '../../../collector/config.js';
import { buildConfig, type Schema } from '../../../shared/config.js';

function parse(schema: Schema, args: string[]): Record<string, unknown> {
  const cmd = addSchemaOptions(new Command('x').exitOverride(), schema);
  cmd.parse(args, { from: 'user' });
  return schemaFlags(cmd.opts(), schema);
}

describe('config schema → flags (agent and collector alike)', () => {
  it('a bool flag is true alone and takes true or false as a value', () => {
    const file = { collector: 'http://c' };
    expect(buildConfig(agentSchema, file, parse(agentSchema, ['--listeners'])).listeners).toBe(true);
    const off = parse(agentSchema, ['--listeners', 'false']);
    expect(buildConfig(agentSchema, { ...file, listeners: true }, off).listeners).toBe(false);
    expect(parse(collectorSchema, ['--store-thread', 'false'])).toEqual({ storeThread: 'false' });
    expect(parse(collectorSchema, ['--store-thread'])).toEqual({ storeThread: true });
  });

  it('a list flag takes several values or repeats', () => {
    expect(parse(collectorSchema, ['--iac', 'a.tf', 'b.tf', '--iac', 'c'])).toEqual({ iac: ['a.tf', 'b.tf', 'c'] });
    const scope = ['10.0.1.0/24', '10.0.2.0/24'];
    expect(parse(agentSchema, ['--scope', scope[0]!, '--scope', scope[1]!])).toEqual({ scope });
  });

  it('a bad enum value is reported by the config check, with every other problem', () => {
    const flags = parse(agentSchema, ['--log-level', 'loud', '--spool-max', '0']);
    expect(flags).toEqual({ logLevel: 'loud', spoolMax: '0' });
    expect(() => buildConfig(agentSchema, { collector: 'http://c' }, flags, 'agent flags')).toThrow(
      /spoolMax: must be at least 1, got 0[\s\S]*logLevel: must be one of fatal, error, warn, info, [a-z, ]+, /,
    );
    expect(() => buildConfig(agentSchema, { collector: 'http://c' }, flags, 'agent flags')).toThrow(
      /logLevel: must be one of .*, got "loud"/,
    );
  });

  it('help reads the same for both: the description and the default', () => {
    const help = (schema: Schema) => addSchemaOptions(new Command('x'), schema).helpInformation();
    const storeThread = /--store-thread \[true\|false\]\s+run SQLite on a worker thread[^(]*\(default: true\)/;
    expect(help(collectorSchema)).toMatch(storeThread);
    expect(help(collectorSchema)).toMatch(/--synchronous <value>[\s\S]*\(choices:\s+"full", "normal"/);
    expect(help(agentSchema)).toMatch(/--spool-max <value>\s+most batches kept in the spool\s+\(default: \d+\)/);
    // A list of objects (webhooks) has no flag form.
    expect(help(collectorSchema)).not.toMatch(/--webhooks/);
  });
});
