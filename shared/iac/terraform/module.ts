// One Terraform module instance: its variables (defaults overridden by tfvars or module inputs),
// its locals (evaluated lazily, cycles become unknown), its resources expanded over literal
// `count` / `for_each`, and its local child modules, recursively, with addresses as Terraform
// prints them: `module.app["web"].module.db.aws_db_instance.main[0]`.
import type { DeclaredModel, Problem } from '../../types.js';
import { attr, attrExpr, bodies, iterate, writer, type Block, type ModuleFile } from './block.js';
import { evaluate, unknown, type Scope, type Value } from './eval.js';
import type { Emit } from './emit.js';
import { HANDLERS } from './resources.js';
import { liveKeysOf } from './live-keys.js';

export interface ModuleDir {
  dir: string;
  files: ModuleFile[];
}

export interface Loader {
  /** The parsed module in an absolute directory (cached), or a reason it cannot be loaded. */
  load(dir: string): Promise<ModuleDir | string>;
  resolveSource(fromDir: string, source: string): string;
}

const MODULE_META = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);
const MAX_DEPTH = 32;

export async function instantiate(mod: ModuleDir, prefix: string, inputs: ReadonlyMap<string, Value>, model: DeclaredModel, loader: Loader, stack: readonly string[] = []): Promise<void> {
  const vars = new Map<string, Value>();
  const scope: Scope = { vars, local: (n) => locals(n) };
  const top = (mf: ModuleFile, json: Record<string, unknown>, path: string): Block => ({ mf, json, path, shown: '', line: mf.index?.blocks.get(path) ?? 1, scope });
  // Override files (`override.tf`, `*_override.tf`) come last, as in Terraform, where what they
  // set replaces what the other files set: later variables and locals win here too. Resource and
  // module blocks in them are not merged (below), and say so.
  const isOverride = (file: string): boolean => /(?:^|[/_])override\.tf(?:\.json)?$/.test(file);
  const ordered = [...mod.files].sort((a, b) => Number(isOverride(a.file)) - Number(isOverride(b.file)));

  for (const mf of ordered) {
    const variables = mf.json.variable;
    if (!variables || typeof variables !== 'object') continue;
    for (const [name, v] of Object.entries(variables)) {
      const body = bodies(v)[0];
      if (!body) continue;
      // An override that does not set a default leaves the original's.
      if (isOverride(mf.file) && !('default' in body)) continue;
      const def = attr(top(mf, body, `variable.${name}`), 'default', 'variable-default', name);
      // `default = null` is a value (null: "not set" where it is used), not an unknown one.
      vars.set(name, def?.value ?? (body.default === null ? { t: 'lit', v: null } : unknown(`var.${name}`)));
    }
  }
  inputs.forEach((v, k) => vars.set(k, v));

  const localDefs = new Map<string, Block>();
  for (const mf of ordered) for (const body of bodies(mf.json.locals)) for (const name of Object.keys(body)) localDefs.set(name, top(mf, body, 'locals'));
  const memo = new Map<string, Value>();
  const locals = (name: string): Value | undefined => {
    const cached = memo.get(name);
    if (cached) return cached;
    const b = localDefs.get(name);
    if (!b) return undefined;
    memo.set(name, unknown(`local.${name}`)); // a cycle evaluates to unknown
    const v = attr(b, name, 'local', name)?.value ?? unknown(`local.${name}`);
    memo.set(name, v);
    return v;
  };

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
        const duplicate = (detail: string, outcome: string) => void model.problems.push({ file: mf.file, line: b.line, code: 'PD_IAC_SHAPE', message: `resource ${address} ${detail}, which Terraform refuses; ${outcome}` });
        const first = declared.get(address);
        if (first !== undefined && isOverride(mf.file)) {
          model.problems.push({ file: mf.file, line: b.line, code: 'PD_IAC_SHAPE', message: `resource ${address} is overridden here; override files are not merged, so its ports are read from ${first.at} and may differ from what Terraform deploys` });
          continue;
        }
        if (first !== undefined) {
          duplicate(`is declared again (first at ${first.at})`, first.extracted ? 'only the first declaration is extracted' : 'not extracted');
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

  const calls = new Map<string, string>();
  for (const mf of ordered) {
    for (const [name, v] of Object.entries(objectOf(mf.json.module))) {
      const body = bodies(v)[0];
      if (!body) continue;
      const b = top(mf, body, `module.${name}`);
      const first = calls.get(name);
      if (first !== undefined) {
        model.problems.push({ file: mf.file, line: b.line, code: isOverride(mf.file) ? 'PD_IAC_SHAPE' : 'PD_IAC_MODULE', message: isOverride(mf.file) ? `module.${name} is overridden here; override files are not merged, so its inputs are read from ${first} and may differ from what Terraform deploys` : `module.${name} is declared again (first at ${first}), which Terraform refuses; only the first is expanded` });
        continue;
      }
      calls.set(name, `${mf.file}:${b.line}`);
      const src = attr(b, 'source');
      const source = src?.value.t === 'lit' ? String(src.value.v) : undefined;
      const problem = (message: string): void => void model.problems.push({ file: mf.file, line: src?.line ?? b.line, code: 'PD_IAC_MODULE', message: `module.${name}: ${message}` });
      if (source === undefined) continue;
      if (!/^\.\.?\//.test(source)) {
        problem(`source ${JSON.stringify(source)} is not a local path; the module's resources are not extracted`);
        continue;
      }
      const dir = loader.resolveSource(mod.dir, source);
      if (stack.includes(dir) || stack.length >= MAX_DEPTH) {
        problem(`source ${JSON.stringify(source)} calls a module that is already being expanded (a cycle)`);
        continue;
      }
      const child = await loader.load(dir);
      if (typeof child === 'string') {
        problem(`source ${JSON.stringify(source)}: ${child}`);
        continue;
      }
      for (const { suffix, scope: s } of expand(b, `module.${name}`, model)) {
        const ib: Block = { ...b, scope: s };
        const args = new Map<string, Value>();
        for (const key of Object.keys(body)) {
          if (MODULE_META.has(key)) continue;
          const a = attrExpr(ib, key);
          if (a) args.set(key, evaluate(a.expr, s, writer(ib, 'module-input', key, a.line)));
        }
        await instantiate(child, `${prefix}module.${name}${suffix}.`, args, model, loader, [...stack, mod.dir]);
      }
    }
  }
}

/**
 * The instances of a resource or module block: one without `count` / `for_each`; `[i]` for a
 * count, `["key"]` for a for_each. When the value cannot be evaluated, one unindexed instance
 * (the pipeline still joins the hosts of every indexed instance in state) and an unresolved
 * entry saying why.
 */
function expand(b: Block, address: string, model: DeclaredModel): { suffix: string; scope: Scope }[] {
  const count = attr(b, 'count');
  if (count) {
    const n = count.value.t === 'lit' ? Number(count.value.v) : NaN;
    if (Number.isInteger(n) && n >= 0) return Array.from({ length: n }, (_, i) => ({ suffix: `[${i}]`, scope: { ...b.scope, count: { t: 'lit', v: i } } }));
    model.unresolved.push({ resource: address, attribute: 'count', expression: count.expression, source: { file: b.mf.file, line: count.line } });
    return [{ suffix: '', scope: b.scope }];
  }
  const forEach = attr(b, 'for_each');
  if (forEach) {
    const elements = iterate(forEach.value, true);
    if (elements) return elements.map((el) => ({ suffix: `[${JSON.stringify(el.key.t === 'lit' ? String(el.key.v) : '?')}]`, scope: { ...b.scope, each: el } }));
    model.unresolved.push({ resource: address, attribute: 'for_each', expression: forEach.expression, source: { file: b.mf.file, line: forEach.line } });
    return [{ suffix: '', scope: b.scope }];
  }
  return [{ suffix: '', scope: b.scope }];
}

function resource(b: Block, address: string, type: string, model: DeclaredModel, prefix: string): void {
  for (const { suffix, scope } of expand(b, address, model)) {
    const full = address + suffix;
    const liveKeys = liveKeysOf(type, { ...b, scope }, prefix);
    const source = { file: b.mf.file, line: b.line };
    model.resources.push({ address: full, type, source, hosts: [], ...(liveKeys ? { liveKeys } : {}) });
    const handler = HANDLERS[type];
    if (!handler) continue;
    const e: Emit = { address: full, type, file: b.mf.file, line: b.line, model };
    handler(e, { ...b, scope }, model.unresolved);
  }
}

function objectOf(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export type { Problem };
