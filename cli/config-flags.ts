// Every key of a program's config schema is also a flag (docs/design/architecture.md#configuration): `spoolMax`
// is `--spool-max`. Flags are declared from the schema so the two can never drift apart, and are
// passed to buildConfig as raw strings: validation (and its "all problems at once" report) stays
// in one place, shared/config.ts, for file and flags alike.
import { Option, type Command } from 'commander';
import type { FieldSpec, Schema } from '../shared/config.js';

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function describe(spec: FieldSpec): string {
  const base = spec.describe ?? '';
  const dflt = spec.default !== undefined && spec.type !== 'bool' ? ` (default: ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})` : '';
  return base + dflt;
}

/** Add one option per scalar or list key of `schema` (nested objects are file-only). */
export function addSchemaOptions(cmd: Command, schema: Schema, skip: readonly string[] = []): Command {
  for (const [key, spec] of Object.entries(schema)) {
    if (skip.includes(key)) continue;
    const flag = `--${kebab(key)}`;
    switch (spec.type) {
      case 'bool':
        cmd.addOption(new Option(flag, describe(spec)));
        break;
      case 'strings':
        cmd.addOption(new Option(`${flag} <values...>`, describe(spec)));
        break;
      case 'enum':
        cmd.addOption(new Option(`${flag} <value>`, describe(spec)).choices([...spec.values]));
        break;
      case 'object':
      case 'list':
        break;
      default:
        cmd.addOption(new Option(`${flag} <value>`, describe(spec)));
    }
  }
  return cmd;
}

/** The flags the user gave, keyed as in the schema (commander already camel-cases them). */
export function schemaFlags(opts: Record<string, unknown>, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) if (opts[key] !== undefined) out[key] = opts[key];
  return out;
}
