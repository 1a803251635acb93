// The extraction pipeline: paths → files (walk.ts) → read (files.ts, a few at a time) → offered
// to the extractors (registry.ts) → joined with hosts → one endpoint per host → sorted.
//
// Hosts of a resource, all of them, de-duplicated and sorted:
//   1. Terraform state (`--state`): the exact address; a declared address without an index
//      (`aws_instance.web`) also takes the hosts of its instances (`aws_instance.web[0]`,
//      `aws_instance.web["a"]`), since count / for_each resources are declared once.
//   2. The targets file (`--targets`): every rule whose address or glob matches.
//   3. Derived names set by the extractors (Kubernetes Service DNS names, Compose service names).
// An endpoint whose resource has no host is kept with `host: null`.
//
// Only when no file at all could be read and handed to an extractor is the run an error
// (PD_IAC_NOTHING_READ); otherwise every problem is listed and the rest is extracted.
import { isAbsolute, resolve, sep } from 'node:path';
import pLimit from 'p-limit';
import { PortdriftError } from '../errors.js';
import type { DeclaredEndpoint, DeclaredModel, Problem, Resource, Unresolved } from '../types.js';
import { readIacFile } from './files.js';
import { extractPlan } from './plan.js';
import { readStateFile } from './state.js';
import {
  emptyModel,
  mergeInto,
  type ExtractContext,
  type ExtractOptions,
  type Extractor,
  type SourceFile,
} from './model.js';
import { extractors as registered } from './registry.js';
import { readTargetsFile, targetHosts, type TargetRule } from './targets.js';
import { isIacLike, isNotIac, relativeTo, walk, type WalkEntry } from './walk.js';
import { unparsed } from './yaml.js';

export type StateReader = (
  path: string,
  file: string,
) => Promise<{ hosts: Map<string, string[]>; problems: Problem[]; ids?: Map<string, string> }>;

export interface ExtractEnv {
  /** Relative paths (arguments and option files) are resolved against it. */
  cwd: string;
  extractors?: readonly Extractor[];
  readState?: StateReader;
  /** Files read at once; reading is IO-bound, parsing is not parallel anyway. */
  concurrency?: number;
}

export interface ExtractResult extends DeclaredModel {
  /** Absolute IaC root that every `source.file` is relative to. */
  root: string;
  /** Files handed to an extractor. */
  filesRead: number;
}

const HEAD_CHARS = 4096;

export async function extract(paths: string[], options: ExtractOptions, env: ExtractEnv): Promise<ExtractResult> {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(env.cwd, p));
  // A state source may be a URL (`s3://…`, `https://…`, `tfc://…`) that env.readState reads.
  const url = (p: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
  const opts: ExtractOptions = {
    ...options,
    stateFiles: options.stateFiles.map((p) => (url(p) ? p : abs(p))),
    varFiles: options.varFiles.map(abs),
    ...(options.targetsFile ? { targetsFile: abs(options.targetsFile) } : {}),
    ...(options.parametersFile ? { parametersFile: abs(options.parametersFile) } : {}),
    ...(options.planFile ? { planFile: abs(options.planFile) } : {}),
  };
  const aux = new Set(
    [...opts.stateFiles, ...opts.varFiles, opts.targetsFile, opts.parametersFile, opts.planFile].filter(
      (x): x is string => !!x,
    ),
  );
  const list = env.extractors ?? registered;
  const { root, entries, problems } = await walk(paths, env.cwd, aux);
  const model = emptyModel();
  model.problems.push(...problems);
  const ctx: ExtractContext = { root, options: opts };

  // Files in a directory whose name no extractor claims and that do not look like IaC (README,
  // images, scripts) are skipped without being read; everything else is read.
  // Files that are clearly not IaC (package.json, tsconfig.json, CI pipelines, kustomizations)
  // are skipped too, even when named: a shell glob names them along with the IaC.
  const offered = (e: WalkEntry): boolean => e.explicit || isIacLike(e.path) || list.some((x) => x.claims(e.path, ''));
  const candidates = entries.filter((e) => !isNotIac(e.path) && offered(e));
  for (const x of list) {
    const claimed = x.prepare ? candidates.filter((e) => x.claims(e.path, '')).length : 0;
    if (claimed > 0) x.prepare!(claimed, opts);
  }
  const limit = pLimit(env.concurrency ?? 16);
  const read = await Promise.all(
    candidates.map((e) => limit(async () => ({ e, r: await readIacFile(e.read ?? e.path, e.file) }))),
  );
  const byExtractor = new Map<Extractor, SourceFile[]>();
  for (const { e, r } of read) {
    if (!r.ok) {
      model.problems.push(r.problem);
      continue;
    }
    const x = list.find((c) => c.claims(e.path, r.text.slice(0, HEAD_CHARS)));
    if (x) {
      byExtractor.set(x, [...(byExtractor.get(x) ?? []), { path: e.path, file: e.file, text: r.text }]);
    } else if (isBlankYaml(r.text)) {
      model.problems.push({
        file: e.file,
        line: 1,
        code: 'PD_IAC_EMPTY',
        message: 'file is empty (no YAML/JSON document, only whitespace, comments or `---`); nothing to extract',
      });
    } else if (e.explicit || isIacLike(e.path)) {
      model.problems.push({
        file: e.file,
        line: 1,
        code: 'PD_IAC_SHAPE',
        message: `not recognised as ${list.map((l) => l.name).join(', ')}; not extracted`,
      });
    }
  }
  const filesRead = [...byExtractor.values()].reduce((n, f) => n + f.length, 0);
  const nothing = (what: string): PortdriftError => {
    const why = model.problems.map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    return new PortdriftError(
      'PD_IAC_NOTHING_READ',
      `${what} ${paths.join(', ') || '(no paths)'}${why.length ? `:\n  ${why.join('\n  ')}` : ''}`,
      { details: { problems: model.problems } },
    );
  };
  if (filesRead === 0 && !opts.planFile) throw nothing('no IaC file could be read from');
  for (const x of list) {
    const files = byExtractor.get(x);
    // With a plan, Terraform's evaluated values replace what the HCL would give; the HCL
    // configuration only gives the lines (shared/iac/plan.ts).
    if (files && !(opts.planFile && x.name === 'terraform')) mergeInto(model, await x.extract(files, ctx));
  }
  if (opts.planFile) {
    const plan = { path: opts.planFile, shown: relativeTo(env.cwd, opts.planFile) };
    mergeInto(model, await extractPlan(plan, root, root, opts.clusterDomain));
  }
  // Files were read but none of them parsed into anything: that is unreadable IaC (exit 1), not
  // an empty estate, or a CI job would pass having checked nothing.
  if (model.resources.length === 0 && unparsed(model.problems)) throw nothing('no IaC could be extracted from');

  // Option files are named in messages as the user wrote them (relative to the working
  // directory), not relative to the IaC root: `--state st.json`, not `../st.json`.
  const asTyped = (f: string): string => (url(f) ? f : relativeTo(env.cwd, f));
  // A plan's prior_state is the state the plan was made from: its hosts join like --state's.
  const stateFiles = opts.planFile ? [...opts.stateFiles, opts.planFile] : opts.stateFiles;
  const byFile = await readStates(stateFiles, asTyped, env.readState ?? readStateFile);
  const state = mergeStates(byFile.map((s) => s.hosts));
  const rules: TargetRule[] = opts.targetsFile
    ? await readTargetsFile(opts.targetsFile, asTyped(opts.targetsFile))
    : [];
  joinHosts(model, state, rules, rootStates(root, byFile));
  joinLiveIds(model, new Map(byFile.flatMap((f) => [...f.ids])));
  return { ...sortModel(expandEndpoints(model)), root, filesRead };
}

type FileHosts = { path: string; hosts: Map<string, string[]>; ids: ReadonlyMap<string, string> };

function mergeStates(maps: ReadonlyMap<string, string[]>[]): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  for (const m of maps) for (const [address, hs] of m) hosts.set(address, [...(hosts.get(address) ?? []), ...hs]);
  return hosts;
}

/**
 * The state of one of several Terraform roots: the `--state` files inside its directory
 * (`envs/prod/terraform.tfstate` is envs/prod's), or, when none is, every state file.
 */
function rootStates(ivRoot: string, files: FileHosts[]): (root: string) => ReadonlyMap<string, string[]> | undefined {
  return (root) => {
    const dir = `${resolve(ivRoot, root)}${sep}`;
    const own = files.filter((f) => f.path.startsWith(dir));
    return own.length > 0 ? mergeStates(own.map((f) => f.hosts)) : undefined;
  };
}

async function readStates(files: string[], shown: (f: string) => string, reader: StateReader): Promise<FileHosts[]> {
  const out: FileHosts[] = [];
  const failed: Problem[] = [];
  for (const f of files) {
    const r = await reader(f, shown(f));
    failed.push(...r.problems);
    out.push({ path: f, hosts: r.hosts, ids: r.ids ?? new Map() });
  }
  // Every state problem is a whole file that could not be used, and a state file is asked for
  // by name: without it no resource gets its hosts and a scan would "pass" having checked
  // nothing. So it is an error (exit 1), like an invalid --targets file.
  if (failed.length > 0) {
    const why = failed.map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    // One code when every problem has it (PD_IAC_PATH: missing, PD_STATE_FETCH: unreachable).
    const code = failed.every((p) => p.code === failed[0]!.code) ? failed[0]!.code : 'PD_STATE_INVALID';
    const typed = code as ConstructorParameters<typeof PortdriftError>[0];
    throw new PortdriftError(typed, `--state: ${why.join('; ')}`, { details: { problems: failed } });
  }
  return out;
}

/**
 * The live id in state of each resource, what `scan --live` matches first. State knows Terraform's
 * own addresses: a resource of one of several roots (`envs/prod:aws_db_instance.x`) is looked up
 * without its root's prefix.
 */
export function joinLiveIds(model: DeclaredModel, ids: ReadonlyMap<string, string>): void {
  for (const r of model.resources) {
    const address =
      r.root !== undefined && r.address.startsWith(`${r.root}:`) ? r.address.slice(r.root.length + 1) : r.address;
    const id = ids.get(address);
    if (id !== undefined) r.liveKeys = { ...r.liveKeys, id };
  }
}

/** Hosts from state for an address: exact, plus every instance of an unindexed address. */
export function stateHosts(state: ReadonlyMap<string, string[]>, address: string): string[] {
  const out = [...(state.get(address) ?? [])];
  if (!address.endsWith(']')) {
    for (const [a, hs] of state)
      if (a.startsWith(`${address}[`) && !a.slice(address.length).includes('.')) out.push(...hs);
  }
  return out;
}

export function joinHosts(
  model: DeclaredModel,
  state: ReadonlyMap<string, string[]>,
  rules: readonly TargetRule[],
  stateOfRoot: (root: string) => ReadonlyMap<string, string[]> | undefined = () => undefined,
): void {
  for (const r of model.resources) {
    // A resource of one of several Terraform roots (`envs/prod:aws_db_instance.a`): state knows
    // it without the root; a targets rule may name either form.
    const prefixed = r.root !== undefined && r.address.startsWith(`${r.root}:`);
    const bare = prefixed ? r.address.slice(r.root!.length + 1) : r.address;
    const targets = targetHosts(rules, r.address);
    if (prefixed) targets.push(...targetHosts(rules, bare));
    const own = r.root !== undefined ? stateOfRoot(r.root) : undefined;
    r.hosts = [...new Set([...stateHosts(own ?? state, bare), ...targets, ...r.hosts])].sort();
  }
}

/** One endpoint per host of its resource; an extractor that already set a host keeps it. */
export function expandEndpoints(model: DeclaredModel): DeclaredModel {
  const hosts = new Map<string, Set<string>>();
  for (const r of model.resources) {
    const set = hosts.get(r.address) ?? new Set<string>();
    r.hosts.forEach((h) => set.add(h));
    hosts.set(r.address, set);
  }
  const endpoints: DeclaredEndpoint[] = [];
  for (const e of model.endpoints) {
    const hs = e.host === null ? [...(hosts.get(e.resource) ?? [])] : [e.host];
    if (hs.length === 0) endpoints.push(e);
    else for (const h of hs) endpoints.push({ ...e, host: h });
  }
  return { ...model, endpoints };
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortModel(model: DeclaredModel): DeclaredModel {
  const bySource = (
    a: { source: { file: string; line: number } },
    b: { source: { file: string; line: number } },
  ): number => cmp(a.source.file, b.source.file) || cmp(a.source.line, b.source.line);
  return {
    resources: [...model.resources].sort((a: Resource, b: Resource) => cmp(a.address, b.address) || bySource(a, b)),
    endpoints: [...model.endpoints].sort(
      (a, b) =>
        cmp(a.resource, b.resource) ||
        cmp(a.host ?? '', b.host ?? '') ||
        cmp(a.port, b.port) ||
        cmp(a.toPort ?? 0, b.toPort ?? 0) ||
        cmp(a.protocol, b.protocol) ||
        cmp(a.role, b.role) ||
        cmp(a.direction ?? '', b.direction ?? '') ||
        bySource(a, b),
    ),
    unresolved: [...model.unresolved].sort(
      (a: Unresolved, b: Unresolved) => cmp(a.resource, b.resource) || bySource(a, b) || cmp(a.attribute, b.attribute),
    ),
    problems: [...model.problems].sort(
      (a, b) => cmp(a.file, b.file) || cmp(a.line ?? 0, b.line ?? 0) || cmp(a.message, b.message),
    ),
  };
}

function isBlankYaml(text: string): boolean {
  return text.split('\n').every((l) => /^\s*(#.*)?$/.test(l) || /^(---|\.\.\.)\s*$/.test(l));
}
