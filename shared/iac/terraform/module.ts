// One Terraform module instance: its variables (defaults overridden by tfvars or module inputs),
// its locals and outputs (evaluated lazily, cycles become unknown), its resources expanded over
// `count` / `for_each`, and its child modules, recursively, with addresses as Terraform prints
// them: `module.app["web"].module.db.aws_db_instance.main[0]`. A child's outputs are values in
// its caller (`module.db.port`), so a port computed in a local module reaches the resource that
// uses it. Children come from local paths, or, for registry and git sources, from the
// directories `terraform init` recorded in `.terraform/modules/modules.json` (manifest.ts).
import type { DeclaredModel, Unresolved } from '../../types.js';
import { attr, attrExpr, bodies, objectOf, writer, type Block, type ModuleFile } from './block.js';
import { evaluate, unknown, type Scope, type Value } from './eval.js';
import { expand } from './expand.js';
import type { Expr } from './expr.js';
import { convert } from './lang/types.js';
import type { Manifest } from './manifest.js';
import { emitResources } from './module-resources.js';
import { isOverride, preload, type Loader, type ModuleDir, type Resolved } from './module-sources.js';

export type { Loader, ModuleDir };

const MODULE_META = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);

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
      this.vars.set(
        name,
        convert(v, type, (e) => evaluate(e, b.scope, w)),
      );
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
    emitResources(this.ordered, this.prefix, (mf, json, path) => this.top(mf, json, path), model);

    const calls = new Map<string, string>();
    for (const mf of this.ordered) {
      for (const [name, v] of Object.entries(objectOf(mf.json.module))) {
        const body = bodies(v)[0];
        if (!body) continue;
        const b = this.top(mf, body, `module.${name}`);
        const first = calls.get(name);
        if (first !== undefined) {
          model.problems.push({
            file: mf.file,
            line: b.line,
            code: isOverride(mf.file) ? 'PD_IAC_SHAPE' : 'PD_IAC_MODULE',
            message: isOverride(mf.file)
              ? `module.${name} is overridden here; override files are not merged, so its ` +
                `inputs are read from ${first} and may differ from what Terraform deploys`
              : `module.${name} is declared again (first at ${first}` +
                `), which Terraform refuses; only the first is expanded`,
          });
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
