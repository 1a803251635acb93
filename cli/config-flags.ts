// Every key of a program's config schema is also a flag (docs/design/architecture.md#configuration): `spoolMax`
// is `--spool-max`. The one converter from a schema to flags, for the agent and the collector
// alike, so a key reads the same way on both. Flags are passed to buildConfig as raw values:
// validation (and its "all problems at once" report) stays in one place, shared/config.ts, for
// file and flags alike, so commander checks nothing here (not even an enum's values).
//   bool     `--listeners` (true) or `--store-thread false`
//   strings  `--scope A B` or `--scope A --scope B`
//   other    `--spool-max 100`; an enum's values are offered to help and completion
// Nested objects and lists of mappings (`webhooks`) are config-file only.
import { Option, type Command } from 'commander';
import type { FieldSpec, Schema } from '../shared/config.js';

/** `spoolMax` → `spool-max`. */
export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function help(key: string, spec: FieldSpec): string {
  const base = spec.describe ?? key;
  if (spec.default === undefined) return base;
  return `${base} (default: ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})`;
}

/** The option of one key; null for a key that is config-file only. */
export function schemaOption(key: string, spec: FieldSpec): Option | null {
  const flag = `--${kebab(key)}`;
  switch (spec.type) {
    case 'object':
    case 'list':
      return null;
    case 'bool':
      return new Option(`${flag} [true|false]`, help(key, spec));
    case 'strings':
      return new Option(`${flag} <values...>`, `${help(key, spec)}; several values, or repeat the flag`);
    case 'enum': {
      const option = new Option(`${flag} <value>`, help(key, spec));
      // Offered, not enforced: a bad value is reported by the config check with every other problem.
      option.argChoices = [...spec.values];
      return option;
    }
    default:
      return new Option(`${flag} <value>`, help(key, spec));
  }
}

/** Add one option per scalar or list key of `schema` (nested objects are file-only). */
export function addSchemaOptions(cmd: Command, schema: Schema, skip: readonly string[] = []): Command {
  for (const [key, spec] of Object.entries(schema)) {
    if (skip.includes(key)) continue;
    const option = schemaOption(key, spec);
    if (option) cmd.addOption(option);
  }
  return cmd;
}

/** The flags the user gave, keyed as in the schema (commander already camel-cases them). */
export function schemaFlags(opts: Record<string, unknown>, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) if (opts[key] !== undefined) out[key] = opts[key];
  return out;
}
