// One Terraform module instance: its variables (defaults overridden by tfvars or module inputs),
// its locals and outputs (evaluated lazily, cycles become unknown), its resources expanded over
// `count` / `for_each`, and its child modules, recursively, with addresses as Terraform prints
// them: `module.app["web"].module.db.aws_db_instance.main[0]`. A child's outputs are values in
// its caller (`module.db.port`), so a port computed in a local module reaches the resource that
// uses it. Children come from local paths, or, for registry and git sources, from the
// directories `terraform init` recorded in `.terraform/modules/modules.json` (manifest.ts).
import type { DeclaredModel, Unresolved } from '../../types.js';
import { attr, attrExpr, bodies, iterate, writer, type Block, type ModuleFile } from './block.js';
import { evaluate, unknown, type Scope, type Value } from './eval.js';
import type { Emit } from './emit.js';
import type { Expr } from './expr.js';
import { convert } from './lang/types.js';
import { lit } from './lang/values.js';
import type { Manifest } from './manifest.js';
import { expectTerraform } from './expect.js';
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
const isLocal = (source: string): boolean => /^\.\.?\//.test(source);
/** Override files (`override.tf`, `*_override.tf`) come last, as in Terraform, where what they set wins. */
const isOverride = (file: string): boolean => /(?:^|[/_])override\.tf(?:\.json)?$/.test(file);

/** What a module call's source resolved to, by module key (`a.b` for module.a's module.b). */
type Resolved = Map<string, ModuleDir | { problem: string }>;

export async function instantiate(
  root: ModuleDir,
  prefix: string,
  inputs: ReadonlyMap<string, Value>,
  model: DeclaredModel,
  loader: Loader,
  manifest?: Manifest,
): Promise<void> {
  const resolved: Resolved = new Map();
  await preload(root, '', loader, manifest, resolved, []);
  new Instance(root, prefix, '', inputs, { model, resolved }).emit();
}

/** Every module call's directory, loaded before evaluation starts (evaluation is synchronous). */
async function preload(
  mod: ModuleDir,
  key: string,
  loader: Loader,
  manifest: Manifest | undefined,
  out: Resolved,
  stack: readonly string[],
): Promise<void> {
  const seen = new Set<string>();
  for (const mf of mod.files) {
    for (const [name, v] of Object.entries(objectOf(mf.json.module))) {
      const body = bodies(v)[0];
      const source = body?.source;
      if (seen.has(name) || typeof source !== 'string') continue;
      seen.add(name);
      const childKey = key ? `${key}.${name}` : name;
      let dir: string;
      if (isLocal(source)) dir = loader.resolveSource(mod.dir, source);
      else {
        const installed = manifest?.dirOf(childKey);
        if (!installed) {
          const why = manifest
            ? `is not in ${manifest.file} (run \`terraform init\` again)`
            : 'is not a local path and no `.terraform/modules/modules.json` was found (run `terraform init` first)';
          const problem = `source ${JSON.stringify(source)} ${why}; the module's resources are not extracted`;
          out.set(childKey, { problem });
          continue;
        }
        dir = installed;
      }
      if (stack.includes(dir) || stack.length >= MAX_DEPTH) {
        const problem = `source ${JSON.stringify(source)} calls a module that is already being expanded (a cycle)`;
        out.set(childKey, { problem });
        continue;
      }
      const child = await loader.load(dir);
      if (typeof child === 'string') {
        out.set(childKey, { problem: `source ${JSON.stringify(source)}: ${child}` });
        continue;
      }
      out.set(childKey, child);
      await preload(child, childKey, loader, manifest, out, [...stack, mod.dir]);
    }
  }
}

interface Ctx {
  model: DeclaredModel;
  resolved: Resolved;
}

interface Call {
  instances: { suffix: string; inst: Instance }[];
  value: Value;
  /** Reported once, when the caller is emitted. */
  problems: DeclaredModel['problems'];
  unresolved: Unresolved[];
}

class Instance {
  private readonly vars = new Map<string, Value>();
  private readonly scope: Scope;
  private readonly ordered: ModuleFile[];
  private readonly localDefs = new Map<string, Block>();
  private readonly memo = new Map<string, Value>();
  private readonly calls = new Map<string, Call>();
  private outputsValue: Value | undefined;

  constructor(
    mod: ModuleDir,
    private readonly prefix: string,
    private readonly key: string,
    inputs: ReadonlyMap<string, Value>,
    private readonly ctx: Ctx,
  ) {
    this.scope = { vars: this.vars, local: (n) => this.local(n), module: (n) => this.call(n)?.value };
    this.ordered = [...mod.files].sort((a, b) => Number(isOverride(a.file)) - Number(isOverride(b.file)));
    const types = new Map<string, { b: Block; type: Expr | undefined; nullable: boolean }>();
    for (const mf of this.ordered) {
      for (const [name, v] of Object.entries(objectOf(mf.json.variable))) {
        const body = bodies(v)[0];
        if (!body) continue;
        const b = this.top(mf, body, `variable.${name}`);
        const type = attrExpr(b, 'type')?.expr;
        if (type || !types.has(name)) {
          types.set(name, { b, type: type ?? types.get(name)?.type, nullable: body.nullable !== false });
        }
        // An override that does not set a default leaves the original's.
        if (isOverride(mf.file) && !('default' in body)) continue;
        const def = attr(b, 'default', 'variable-default', name);
        // `default = null` is a value (null: "not set" where it is used), not an unknown one.
        this.vars.set(name, def?.value ?? (body.default === null ? { t: 'lit', v: null } : unknown(`var.${name}`)));
      }
    }
    inputs.forEach((v, k) => {
      // `nullable = false`: a null input means the default.
      if (v.t === 'lit' && v.v === null && types.get(k)?.nullable === false && this.vars.has(k)) return;
      this.vars.set(k, v);
    });
    // Inputs take the variable's type: optional attributes get their defaults.
    for (const [name, { b, type }] of types) {
      const v = this.vars.get(name);
      if (!type || !v) continue;
      const w = writer(b, 'variable-default', name);
      this.vars.set(name, convert(v, type, (e) => evaluate(e, b.scope, w)));
    }
    for (const mf of this.ordered) {
      for (const body of bodies(mf.json.locals)) {
        for (const name of Object.keys(body)) this.localDefs.set(name, this.top(mf, body, 'locals'));
      }
    }
  }

  private top(mf: ModuleFile, json: Record<string, unknown>, path: string): Block {
    return { mf, json, path, shown: '', line: mf.index?.blocks.get(path) ?? 1, scope: this.scope };
  }

  private local(name: string): Value | undefined {
    const cached = this.memo.get(name);
    if (cached) return cached;
    const b = this.localDefs.get(name);
    if (!b) return undefined;
    this.memo.set(name, unknown(`local.${name}`)); // a cycle evaluates to unknown
    const v = attr(b, name, 'local', name)?.value ?? unknown(`local.${name}`);
    this.memo.set(name, v);
    return v;
  }

  /** The module's `output` blocks, evaluated: what `module.NAME.x` reads in the caller. */
  outputs(): Value {
    if (this.outputsValue) return this.outputsValue;
    const items = new Map<string, Value>();
    this.outputsValue = { t: 'map', items };
    for (const mf of this.ordered) {
      for (const [name, v] of Object.entries(objectOf(mf.json.output))) {
        const body = bodies(v)[0];
        if (!body) continue;
        const a = attr(this.top(mf, body, `output.${name}`), 'value');
        items.set(name, a?.value ?? { t: 'lit', v: null });
      }
    }
    return this.outputsValue;
  }

  /** A module call, expanded (once) over its count / for_each with its inputs evaluated. */
  private call(name: string): Call | undefined {
    const done = this.calls.get(name);
    if (done) return done;
    const found = this.moduleBlock(name);
    if (!found) return undefined;
    const { b, body } = found;
    const c: Call = { instances: [], value: unknown(`module.${name}`), problems: [], unresolved: [] };
    this.calls.set(name, c); // a cycle through outputs evaluates to unknown
    const childKey = this.key ? `${this.key}.${name}` : name;
    const child = this.ctx.resolved.get(childKey);
    if (!child) return c;
    if ('problem' in child) {
      const src = attr(b, 'source');
      const message = `module.${name}: ${child.problem}`;
      c.problems.push({ file: b.mf.file, line: src?.line ?? b.line, code: 'PD_IAC_MODULE', message });
      return c;
    }
    const exp = expand(b, `${this.prefix}module.${name}`, c.unresolved);
    for (const { suffix, scope } of exp.instances) {
      const ib: Block = { ...b, scope };
      const args = new Map<string, Value>();
      for (const key of Object.keys(body)) {
        if (MODULE_META.has(key)) continue;
        const a = attrExpr(ib, key);
        if (a) args.set(key, evaluate(a.expr, scope, writer(ib, 'module-input', key, a.line)));
      }
      const inst = new Instance(child, `${this.prefix}module.${name}${suffix}.`, childKey, args, this.ctx);
      c.instances.push({ suffix, inst });
    }
    if (exp.kind === 'unknown') c.value = unknown(`module.${name}`);
    else if (exp.kind === 'single') c.value = c.instances[0]!.inst.outputs();
    else if (exp.kind === 'count') c.value = { t: 'list', items: c.instances.map((i) => i.inst.outputs()) };
    else if (exp.kind === 'for_each') {
      const keys = exp.keys;
      c.value = { t: 'map', items: new Map(c.instances.map((i, n) => [keys[n]!, i.inst.outputs()])) };
    }
    return c;
  }

  private moduleBlock(name: string): { b: Block; body: Record<string, unknown> } | undefined {
    for (const mf of this.ordered) {
      const body = bodies(objectOf(mf.json.module)[name])[0];
      if (body) return { b: this.top(mf, body, `module.${name}`), body };
    }
    return undefined;
  }

  /** Resources, then module calls with their problems and children, into the model. */
  emit(): void {
    const { model } = this.ctx;
    // Terraform refuses a module that declares one resource twice ("Duplicate resource"), in one
    // file or two: a problem naming both, instead of two resources with mixed-up ports and lines.
    // Across files the first declaration is extracted; twice in one file, neither is (the line
    // index of a file knows one block per address, so their values could not be told apart).
    const declared = new Map<string, { at: string; extracted: boolean }>();
    // A resource in an override file is not a duplicate: Terraform merges it into the original
    // block. portdrift does not merge blocks yet, so it says which values it read instead of
    // extracting a port Terraform would not deploy without a word.
    for (const mf of this.ordered) {
      for (const [type, byName] of Object.entries(objectOf(mf.json.resource))) {
        for (const [name, v] of Object.entries(objectOf(byName))) {
          const address = `${this.prefix}${type}.${name}`;
          const all = bodies(v);
          if (all.length === 0) continue;
          const b = this.top(mf, all[0]!, `resource.${type}.${name}`);
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
          resource(b, address, type, model, this.prefix);
        }
      }
    }

    const calls = new Map<string, string>();
    for (const mf of this.ordered) {
      for (const [name, v] of Object.entries(objectOf(mf.json.module))) {
        const body = bodies(v)[0];
        if (!body) continue;
        const b = this.top(mf, body, `module.${name}`);
        const first = calls.get(name);
        if (first !== undefined) {
          model.problems.push({ file: mf.file, line: b.line, code: isOverride(mf.file) ? 'PD_IAC_SHAPE' : 'PD_IAC_MODULE', message: isOverride(mf.file) ? `module.${name} is overridden here; override files are not merged, so its inputs are read from ${first} and may differ from what Terraform deploys` : `module.${name} is declared again (first at ${first}), which Terraform refuses; only the first is expanded` });
          continue;
        }
        calls.set(name, `${mf.file}:${b.line}`);
        const c = this.call(name);
        if (!c) continue;
        model.problems.push(...c.problems);
        model.unresolved.push(...c.unresolved);
        for (const { inst } of c.instances) inst.emit();
      }
    }
  }
}

type Expansion = { instances: { suffix: string; scope: Scope }[] } & (
  | { kind: 'single' | 'count' | 'unknown' }
  | { kind: 'for_each'; keys: string[] }
);

/**
 * The instances of a resource or module block: one without `count` / `for_each`; `[i]` for a
 * count, `["key"]` for a for_each. When the value cannot be evaluated, one unindexed instance
 * (the pipeline still joins the hosts of every indexed instance in state) and an unresolved
 * entry saying why.
 */
function expand(b: Block, address: string, sink: Unresolved[]): Expansion {
  const count = attr(b, 'count');
  if (count) {
    const n = count.value.t === 'lit' ? Number(count.value.v) : NaN;
    if (Number.isInteger(n) && n >= 0) {
      const instances = Array.from({ length: n }, (_, i) => ({
        suffix: `[${i}]`,
        scope: { ...b.scope, count: lit(i) },
      }));
      return { kind: 'count', instances };
    }
    const source = { file: b.mf.file, line: count.line };
    sink.push({ resource: address, attribute: 'count', expression: count.expression, source });
    return { kind: 'unknown', instances: [{ suffix: '', scope: b.scope }] };
  }
  const forEach = attr(b, 'for_each');
  if (forEach) {
    const elements = iterate(forEach.value, true);
    if (elements) {
      const keys = elements.map((el) => (el.key.t === 'lit' ? String(el.key.v) : '?'));
      const instances = elements.map((el, i) => ({
        suffix: `[${JSON.stringify(keys[i])}]`,
        scope: { ...b.scope, each: el },
      }));
      return { kind: 'for_each', keys, instances };
    }
    const source = { file: b.mf.file, line: forEach.line };
    sink.push({ resource: address, attribute: 'for_each', expression: forEach.expression, source });
    return { kind: 'unknown', instances: [{ suffix: '', scope: b.scope }] };
  }
  return { kind: 'single', instances: [{ suffix: '', scope: b.scope }] };
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

function objectOf(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
