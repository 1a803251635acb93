// The Terraform extractor. It receives every claimed `.tf`, `.tf.json` and `.tfvars` file,
// parses them FILE BY FILE (never hcl2json's convertFiles, which loses file names and lines:
// docs/design/iac-extraction.md#file-by-file), groups them into modules by directory, and extracts every root module: a
// directory with `.tf` files that no other module calls as a local `source`. Child modules are
// read from their directories (also outside the given paths) and expanded with their inputs.
//
// Variable precedence, as Terraform applies it (later wins): `default` → `terraform.tfvars`
// (`.json`) → `*.auto.tfvars` (`.json`, in lexical order) → each `--var-file` in order.
// TF_VAR_* environment variables are not read: the environment of the machine running portdrift
// is not the one Terraform runs in.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { sharedOrigins } from './shared.js';
import { HclParseError, parseHcl, releaseHclParser, warmHclParser } from './hcl/parse-file.js';
import { jsonErrorClause, jsonErrorLine, readIacFile } from '../files.js';
import { emptyModel, mergeInto, type ExtractContext, type Extractor, type SourceFile } from '../model.js';
import { relativeTo } from '../walk.js';
import { PortdriftError } from '../../errors.js';
import type { DeclaredModel, Problem } from '../../types.js';
import { attr, type Block, type ModuleFile } from './block.js';
import { unknown, type Value } from './eval.js';
import { lineOf, lineStarts, locateHcl } from './hcl/locate.js';
import { readManifest } from './manifest.js';
import { instantiate, type Loader, type ModuleDir } from './module.js';
import { placeServiceTargets } from './kubernetes.js';

const TF = /\.tf(\.json)?$/i;
const TFVARS = /\.tfvars(\.json)?$/i;

export const terraformExtractor: Extractor = {
  name: 'terraform',
  claims: (path) => TF.test(path) || TFVARS.test(path),
  extract: extractTerraform,
  prepare: (files, options) => warmHclParser(files, options.parserThreads),
};

// The parser threads end as soon as the files are parsed, not after their idle time: what runs next
// (the live read of `scan --live`, the drift computation) gets their memory back.
async function extractTerraform(files: SourceFile[], ctx: ExtractContext): Promise<DeclaredModel> {
  try {
    return await extractParsed(files, ctx);
  } finally {
    releaseHclParser();
  }
}

async function extractParsed(files: SourceFile[], ctx: ExtractContext): Promise<DeclaredModel> {
  const model = emptyModel();
  const given = new Map(files.map((f) => [f.path, f]));
  const parsed = new Map<string, Promise<ModuleFile | undefined>>();
  const parse = (f: SourceFile): Promise<ModuleFile | undefined> => {
    let p = parsed.get(f.path);
    if (!p) {
      p = parseFile(f, model.problems);
      parsed.set(f.path, p);
    }
    return p;
  };

  const dirs = new Map<string, Promise<ModuleDir | string>>();
  const loader: Loader = {
    resolveSource: (from, source) => resolve(from, source),
    load(dir) {
      let p = dirs.get(dir);
      if (!p) {
        p = loadDir(dir, ctx.root, given, parse);
        dirs.set(dir, p);
      }
      return p;
    },
  };

  // Parse every given file at once: hcl2json serialises the calls, Promise.all saves event-loop turns.
  const tfDirs = [...new Set(files.filter((f) => TF.test(f.path)).map((f) => dirname(f.path)))].sort();
  const modules = (await Promise.all(tfDirs.map((d) => loader.load(d)))).filter(
    (m): m is ModuleDir => typeof m !== 'string',
  );
  const called = new Set<string>();
  for (const m of modules) for (const s of localSources(m)) called.add(loader.resolveSource(m.dir, s));

  // Several roots (envs/prod, envs/staging) often call the same modules: their addresses would
  // repeat with different ports. Each address is then prefixed by its root's directory,
  // `envs/prod:module.db.aws_db_instance.this`; a single root keeps Terraform's own addresses.
  const roots = modules.filter((m) => !called.has(m.dir));
  for (const root of roots) {
    const inputs = await tfvars(root.dir, files, ctx, model.problems);
    const manifest = await readManifest(root.dir, ctx.root);
    if (manifest && !('dirOf' in manifest)) model.problems.push(manifest);
    const rel = roots.length > 1 ? relativeTo(ctx.root, root.dir) : undefined;
    const part = emptyModel();
    const installed = manifest && 'dirOf' in manifest ? manifest : undefined;
    await instantiate(root, rel === undefined ? '' : `${rel}:`, inputs, part, loader, installed);
    // A Service selects the workloads of its own root (another root is another deployment).
    placeServiceTargets(part, ctx.options.clusterDomain);
    if (rel !== undefined) for (const r of part.resources) r.root = rel;
    mergeInto(model, part);
  }
  sharedOrigins(model.endpoints);
  return model;
}

async function parseFile(f: SourceFile, problems: Problem[]): Promise<ModuleFile | undefined> {
  const starts = lineStarts(f.text);
  const lineAt = (o: number): number => lineOf(starts, o);
  if (/\.json$/i.test(f.path)) {
    try {
      const json: unknown = JSON.parse(f.text);
      if (json === null || typeof json !== 'object' || Array.isArray(json))
        throw new Error('the top level must be an object');
      return { file: f.file, text: f.text, json: json as Record<string, unknown>, index: null, lineAt };
    } catch (err) {
      problems.push({
        file: f.file,
        line: jsonErrorLine((err as Error).message, f.text) ?? 1,
        code: 'PD_IAC_PARSE',
        message: `not valid JSON: ${jsonErrorClause((err as Error).message)}`,
      });
      return undefined;
    }
  }
  try {
    const json = await parseHcl(f.file, f.text);
    return { file: f.file, text: f.text, json, index: locateHcl(f.text), lineAt };
  } catch (err) {
    if (!(err instanceof HclParseError)) throw err;
    if (err.diagnostics.length === 0)
      problems.push({ file: f.file, line: 1, code: 'PD_IAC_PARSE', message: err.message });
    for (const d of err.diagnostics)
      problems.push({ file: f.file, line: d.line, code: 'PD_IAC_PARSE', message: d.message });
    return undefined;
  }
}

/** The `.tf` / `.tf.json` files of a directory: the walked ones as given, others read here. */
async function loadDir(
  dir: string,
  root: string,
  given: ReadonlyMap<string, SourceFile>,
  parse: (f: SourceFile) => Promise<ModuleFile | undefined>,
): Promise<ModuleDir | string> {
  let names: string[];
  try {
    // A link the walk accepted (a file inside the tree, e.g. a ConfigMap volume's) counts as a file.
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => (d.isFile() || given.has(join(dir, d.name))) && TF.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch (err) {
    return `directory cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (names.length === 0) return 'directory has no .tf files';
  const files = await Promise.all(
    names.map(async (n) => {
      const path = join(dir, n);
      const known = given.get(path);
      if (known) return parse(known);
      const file = relativeTo(root, path);
      const r = await readIacFile(path, file);
      return r.ok ? parse({ path, file, text: r.text }) : undefined;
    }),
  );
  return { dir, files: files.filter((f): f is ModuleFile => f !== undefined) };
}

function localSources(m: ModuleDir): string[] {
  const out: string[] = [];
  for (const mf of m.files) {
    const mods = mf.json.module;
    if (!mods || typeof mods !== 'object') continue;
    for (const v of Object.values(mods)) {
      for (const body of Array.isArray(v) ? v : [v]) {
        const s = (body as Record<string, unknown> | null)?.source;
        if (typeof s === 'string' && /^\.\.?\//.test(s)) out.push(s);
      }
    }
  }
  return out;
}

/** Variable values for a root module, in Terraform's precedence (later files win). */
async function tfvars(
  dir: string,
  files: SourceFile[],
  ctx: ExtractContext,
  problems: Problem[],
): Promise<Map<string, Value>> {
  const auto = files.filter((f) => dirname(f.path) === dir && TFVARS.test(f.path));
  const rank = (f: SourceFile): number =>
    /^terraform\.tfvars(\.json)?$/.test(basename(f.path)) ? 0 : /\.auto\.tfvars(\.json)?$/.test(f.path) ? 1 : -1;
  const ordered = auto.filter((f) => rank(f) >= 0).sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : 1));
  // A --var-file was asked for by name: one that cannot be read or parsed is an error, not a
  // problem, or a typo in a CI job would silently scan the variables' defaults.
  const explicit = new Set<string>();
  for (const path of ctx.options.varFiles) {
    const file = relativeTo(ctx.root, path);
    const r = await readIacFile(path, file);
    if (!r.ok) throw new PortdriftError('PD_IAC_PATH', `--var-file ${file}: ${r.problem.message}`);
    ordered.push({ path, file, text: r.text });
    explicit.add(path);
  }
  const out = new Map<string, Value>();
  const own: Problem[] = [];
  const parsed = await Promise.all(ordered.map((f) => parseFile(f, own)));
  const broken = ordered.find((f, i) => !parsed[i] && explicit.has(f.path));
  if (broken) {
    const why = own
      .filter((p) => p.file === broken.file)
      .map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    throw new PortdriftError(
      'PD_IAC_PARSE',
      `--var-file ${broken.file} does not parse${why.length ? `:\n  ${why.join('\n  ')}` : ''}`,
    );
  }
  problems.push(...own);
  for (const mf of parsed) {
    if (!mf) continue;
    const b: Block = {
      mf,
      json: mf.json,
      path: '',
      shown: '',
      line: 1,
      scope: { vars: new Map(), local: () => undefined },
    };
    for (const name of Object.keys(mf.json))
      out.set(name, attr(b, name, 'tfvars', name)?.value ?? unknown(`var.${name}`));
  }
  return out;
}
