// A Terraform plan as the Terraform source (`--plan plan.json`, what `terraform show -json
// tfplan` prints, format_version 1.x). Terraform has already evaluated everything there: every
// module instance, every `count` / `for_each` instance (`aws_db_instance.db[0]`,
// `module.svc["cart"].…`) and every port that came from a variable, a module output or a
// registry module. The planned values of each resource go through the same per-type rules as
// the HCL (terraform/resources.ts), so a plan and its configuration mean the same thing.
//
// A plan has no line numbers. The configuration gives them: each resource's module path
// (`module.db.module.db_instance`) is followed through `configuration.root_module.module_calls`
// to its directory (a local `source`, or `.terraform/modules/modules.json` for registry and git
// modules), and the resource's block and its attributes are found in that directory's `.tf`
// files by the line locator. A port attribute the configuration does not write (a provider
// default) gets its block's line; a resource whose files cannot be found gets the plan file.
//
// Plans hold secrets in clear text, as state does: nothing here quotes a value in a message.
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PortdriftError } from '../errors.js';
import type { DeclaredModel } from '../types.js';
import { jsonErrorLine } from './files.js';
import { emptyModel } from './model.js';
import type { Block, ModuleFile } from './terraform/block.js';
import type { Emit } from './terraform/emit.js';
import { placeServiceTargets } from './terraform/kubernetes.js';
import { locateHcl, type LineIndex, type Located } from './terraform/hcl/locate.js';
import { readManifest, type Manifest } from './terraform/manifest.js';
import { HANDLERS } from './terraform/resources.js';
import { sharedOrigins } from './terraform/shared.js';
import { relativeTo } from './walk.js';

type Json = Record<string, unknown>;

interface PlannedResource {
  address: string;
  moduleAddress: string;
  type: string;
  name: string;
  values: Json;
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The managed resources of `planned_values`, recursively through `child_modules`. */
export function plannedResources(doc: Json, file: string): PlannedResource[] {
  const fail = (why: string): never => {
    const hint = 'give the output of `terraform show -json PLANFILE`';
    throw new PortdriftError('PD_PLAN_INVALID', `--plan ${file}: ${why} (${hint})`);
  };
  if (typeof doc.format_version !== 'string' || !/^1\./.test(doc.format_version)) {
    fail('not a Terraform plan in JSON format 1.x (no `format_version` "1.…")');
  }
  const planned = isObject(doc.planned_values) ? doc.planned_values.root_module : undefined;
  if (!isObject(planned)) fail('no `planned_values.root_module`');
  const out: PlannedResource[] = [];
  const visit = (m: Json, depth: number): void => {
    if (depth > 64) return;
    for (const r of Array.isArray(m.resources) ? m.resources : []) {
      if (!isObject(r) || r.mode !== 'managed') continue;
      const { address, type, name } = r;
      if (typeof address !== 'string' || typeof type !== 'string' || typeof name !== 'string') continue;
      const moduleAddress = typeof m.address === 'string' ? m.address : '';
      out.push({ address, moduleAddress, type, name, values: isObject(r.values) ? r.values : {} });
    }
    for (const c of Array.isArray(m.child_modules) ? m.child_modules : []) if (isObject(c)) visit(c, depth + 1);
  };
  visit(planned as Json, 0);
  return out;
}

/** `module.a["x"].module.b[0]` → [`a`, `b`]: the module calls, without instance keys. */
export function moduleCalls(moduleAddress: string): string[] {
  const out: string[] = [];
  const re = /module\.([A-Za-z0-9_-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?\.?/y;
  let m: RegExpExecArray | null;
  while ((m = re.exec(moduleAddress)) !== null) out.push(m[1]!);
  return out;
}

interface ConfigFile {
  file: string;
  text: string;
  index: LineIndex;
}

/** Where each module path's `.tf` files are, and their line indexes (read once per directory). */
class Configuration {
  private readonly dirs = new Map<string, Promise<ConfigFile[]>>();
  private registry: Promise<Manifest | undefined> | undefined;

  constructor(
    private readonly rootDir: string,
    private readonly ivRoot: string,
    private readonly config: Json,
  ) {}

  /** The directory of a module path, or undefined when the configuration does not say. */
  async dirOf(calls: string[]): Promise<string | undefined> {
    if (calls.length === 0) return this.rootDir;
    const installed = (await this.manifest())?.dirOf(calls.join('.'));
    if (installed) return installed;
    let dir = this.rootDir;
    let mod: unknown = this.config.root_module;
    for (const name of calls) {
      const call = isObject(mod) && isObject(mod.module_calls) ? mod.module_calls[name] : undefined;
      if (!isObject(call) || typeof call.source !== 'string' || !/^\.\.?\//.test(call.source)) return undefined;
      dir = resolve(dir, call.source);
      mod = call.module;
    }
    return dir;
  }

  /**
   * `.terraform/modules/modules.json`, written by `terraform init`, read as the HCL extractor
   * reads it. A manifest that is missing or unreadable only costs the lines of registry and git
   * modules: their resources keep the plan file as their place.
   */
  private manifest(): Promise<Manifest | undefined> {
    this.registry ??= readManifest(this.rootDir, this.ivRoot).then((m) => (m && 'dirOf' in m ? m : undefined));
    return this.registry;
  }

  files(dir: string): Promise<ConfigFile[]> {
    let p = this.dirs.get(dir);
    if (!p) {
      p = readdir(dir).then(
        (names) =>
          Promise.all(
            names
              .filter((n) => /\.tf$/.test(n))
              .sort()
              .map(async (n) => {
                const text = await readFile(join(dir, n), 'utf8');
                return { file: relativeTo(this.ivRoot, join(dir, n)), text, index: locateHcl(text) };
              }),
          ),
        () => [],
      );
      this.dirs.set(dir, p);
    }
    return p;
  }
}

/**
 * A value of the plan as HCL literal text: the synthetic file the resource rules read, so that
 * every value keeps the line of the attribute that wrote it in the configuration.
 */
function hclLiteral(v: unknown, depth = 0): string {
  if (depth > 64) return 'null';
  if (typeof v === 'string') return JSON.stringify(v).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => hclLiteral(x, depth + 1)).join(', ')}]`;
  if (isObject(v)) {
    const items = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)} = ${hclLiteral(x, depth + 1)}`);
    return `{ ${items.join(', ')} }`;
  }
  return 'null';
}

/**
 * The planned values of one resource as a Block: arrays of objects are nested blocks
 * (`ingress[0]`, `spec[0].port[1]`), everything else an attribute whose text is its literal and
 * whose line is the configuration's (the attribute's, else its block's, else the resource's).
 */
/** What a value shows in `unresolved` when the plan knows it only after apply. */
const AFTER_APPLY = '(known after apply)';

/**
 * The planned values with the attributes of `after_unknown` (resource_changes[].change) put
 * back: a plan leaves out what it cannot know yet (`port = aws_db_instance.main.port` of a new
 * database), and a missing port must be unresolved, not the type's default port.
 */
function withUnknowns(values: Json, unknown: unknown, at: string, paths: Set<string>, depth = 0): Json {
  if (!isObject(unknown) || depth > 64) return values;
  const out: Json = { ...values };
  for (const [k, u] of Object.entries(unknown)) {
    const v = values[k];
    if (u === true) {
      out[k] = AFTER_APPLY;
      paths.add(`${at}.${k}`);
    } else if (Array.isArray(u) && Array.isArray(v)) {
      out[k] = v.map((c: unknown, i) => {
        return isObject(c) ? withUnknowns(c, u[i], `${at}.${k}[${i}]`, paths, depth + 1) : c;
      });
    }
  }
  return out;
}

function plannedBlock(
  planned: Json,
  unknown: unknown,
  path: string,
  config: ConfigFile | undefined,
  line: number,
  file: string,
): Block {
  const unknownPaths = new Set<string>();
  const values = withUnknowns(planned, unknown, path, unknownPaths);
  let text = '';
  const spans: { start: number; line: number }[] = [];
  const attrs = new Map<string, Located>();
  const blocks = new Map<string, number>();
  const walk = (obj: Json, at: string, atLine: number): void => {
    for (const [k, v] of Object.entries(obj)) {
      if (Array.isArray(v) && v.length > 0 && v.every(isObject)) {
        v.forEach((child, i) => {
          const p = `${at}.${k}[${i}]`;
          const l = config?.index.blocks.get(p) ?? atLine;
          blocks.set(p, l);
          walk(child, p, l);
        });
        continue;
      }
      if (v === null || v === undefined) continue;
      const p = `${at}.${k}`;
      const l = config?.index.attrs.get(p)?.line ?? atLine;
      // An identifier evaluates to unknown, as a reference would in the configuration.
      const lit = unknownPaths.has(p) ? 'known_after_apply' : hclLiteral(v);
      spans.push({ start: text.length, line: l });
      attrs.set(p, { line: l, start: text.length, end: text.length + lit.length });
      text += `${lit}\n`;
    }
  };
  walk(values, path, line);
  const lineAt = (o: number): number => {
    let lo = 0;
    let hi = spans.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (spans[mid]!.start <= o) lo = mid;
      else hi = mid - 1;
    }
    return spans[lo]?.line ?? line;
  };
  const mf: ModuleFile = { file, text, json: values, index: { attrs, blocks, lineAt }, lineAt };
  return { mf, json: values, path, shown: '', line, scope: { vars: new Map(), local: () => undefined } };
}

export interface PlanSource {
  /** Absolute path of the plan JSON. */
  path: string;
  /** As the user typed it, for messages. */
  shown: string;
}

/**
 * The declared model of a plan. `rootDir` is the root module's directory (the IaC root), whose
 * `.tf` files and module calls give the lines; `ivRoot` is what `source.file` is relative to.
 */
export async function extractPlan(
  plan: PlanSource,
  rootDir: string,
  ivRoot: string,
  clusterDomain: string,
): Promise<DeclaredModel> {
  let text: string;
  try {
    text = await readFile(plan.path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new PortdriftError('PD_IAC_PATH', `--plan ${plan.shown}: cannot read: ${why}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    // Only the line: V8's message can quote a piece of the file, and a plan holds secrets.
    const line = jsonErrorLine((err as Error).message, text);
    throw new PortdriftError('PD_PLAN_INVALID', `--plan ${plan.shown}${line ? `:${line}` : ''}: not valid JSON`);
  }
  if (!isObject(doc)) throw new PortdriftError('PD_PLAN_INVALID', `--plan ${plan.shown}: a plan must be a JSON object`);
  const resources = plannedResources(doc, plan.shown);
  const cfg = new Configuration(rootDir, ivRoot, isObject(doc.configuration) ? doc.configuration : {});
  const planFile = relativeTo(ivRoot, plan.path);
  const afterUnknown = new Map<string, unknown>();
  for (const c of Array.isArray(doc.resource_changes) ? doc.resource_changes : []) {
    if (!isObject(c) || typeof c.address !== 'string' || !isObject(c.change)) continue;
    afterUnknown.set(c.address, c.change.after_unknown);
  }
  const model = emptyModel();
  for (const r of resources) {
    const dir = await cfg.dirOf(moduleCalls(r.moduleAddress));
    const blockPath = `resource.${r.type}.${r.name}`;
    const config = dir === undefined ? undefined : (await cfg.files(dir)).find((f) => f.index.blocks.has(blockPath));
    const file = config?.file ?? planFile;
    const line = config?.index.blocks.get(blockPath) ?? 1;
    model.resources.push({ address: r.address, type: r.type, source: { file, line }, hosts: [] });
    const handler = HANDLERS[r.type];
    if (!handler) continue;
    const e: Emit = { address: r.address, type: r.type, file, line, model };
    const block = plannedBlock(r.values, afterUnknown.get(r.address), blockPath, config, line, file);
    handler(e, block, model.unresolved);
  }
  placeServiceTargets(model, clusterDomain);
  // The values are Terraform's results, not text that `portdrift fix` could edit where it
  // stands: the configuration's line writes `var.port`, not `5432`.
  for (const e of model.endpoints) delete e.origin;
  sharedOrigins(model.endpoints);
  return model;
}
