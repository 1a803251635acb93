// A module instance's `resource` blocks into the model: each expanded over count / for_each,
// with its live keys, its endpoints from the type's handler and the services the IaC expects.
// Duplicate and overridden declarations, which Terraform refuses or merges, become problems.
import type { DeclaredModel } from '../../types.js';
import { bodies, objectOf, type Block, type ModuleFile } from './block.js';
import type { Emit } from './emit.js';
import { expand } from './expand.js';
import { expectTerraform } from './expect.js';
import { liveKeysOf } from './live-keys.js';
import { isOverride } from './module-sources.js';
import { HANDLERS } from './resources.js';

/** A top-level block of a module file at a path of its line index, in the instance's scope. */
export type TopBlock = (mf: ModuleFile, json: Record<string, unknown>, path: string) => Block;

export function emitResources(
  ordered: readonly ModuleFile[],
  prefix: string,
  top: TopBlock,
  model: DeclaredModel,
): void {
  // Terraform refuses a module that declares one resource twice ("Duplicate resource"), in one
  // file or two: a problem naming both, instead of two resources with mixed-up ports and lines.
  // Across files the first declaration is extracted; twice in one file, neither is (the line
  // index of a file knows one block per address, so their values could not be told apart).
  const declared = new Map<string, { at: string; extracted: boolean }>();
  // A resource in an override file is not a duplicate: Terraform merges it into the original
  // block. portdrift does not merge blocks yet, so it says which values it read instead of
  // extracting a port Terraform would not deploy without a word.
  for (const mf of ordered) {
    for (const [type, byName] of Object.entries(objectOf(mf.json.resource))) {
      for (const [name, v] of Object.entries(objectOf(byName))) {
        const address = `${prefix}${type}.${name}`;
        const all = bodies(v);
        if (all.length === 0) continue;
        const b = top(mf, all[0]!, `resource.${type}.${name}`);
        const duplicate = (detail: string, outcome: string) =>
          void model.problems.push({
            file: mf.file,
            line: b.line,
            code: 'PD_IAC_SHAPE',
            message: `resource ${address} ${detail}, which Terraform refuses; ${outcome}`,
          });
        const first = declared.get(address);
        if (first !== undefined && isOverride(mf.file)) {
          model.problems.push({
            file: mf.file,
            line: b.line,
            code: 'PD_IAC_SHAPE',
            message:
              `resource ${address} is overridden here; override files are not merged, so ` +
              `its ports are read from ${first.at} and may differ from what Terraform deploys`,
          });
          continue;
        }
        if (first !== undefined) {
          duplicate(
            `is declared again (first at ${first.at})`,
            first.extracted ? 'only the first declaration is extracted' : 'not extracted',
          );
          continue;
        }
        declared.set(address, { at: `${mf.file}:${b.line}`, extracted: all.length === 1 });
        if (all.length > 1) {
          duplicate(`is declared ${all.length} times in this file`, 'not extracted');
          continue;
        }
        resource(b, address, type, model, prefix);
      }
    }
  }
}

function resource(b: Block, address: string, type: string, model: DeclaredModel, prefix: string): void {
  for (const { suffix, scope } of expand(b, address, model.unresolved).instances) {
    const full = address + suffix;
    const liveKeys = liveKeysOf(type, { ...b, scope }, prefix);
    const source = { file: b.mf.file, line: b.line };
    model.resources.push({ address: full, type, source, hosts: [], ...(liveKeys ? { liveKeys } : {}) });
    const handler = HANDLERS[type];
    if (!handler) continue;
    const e: Emit = { address: full, type, file: b.mf.file, line: b.line, model };
    const from = model.endpoints.length;
    handler(e, { ...b, scope }, model.unresolved);
    expectTerraform(model, from, full, type, { ...b, scope });
  }
}
