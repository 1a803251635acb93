// `portdrift fix`, the pure part: `moved` findings + the declared model + the text of the IaC
// files → line edits at each port's true origin (the literal, or the variable default, tfvars
// value, local, module input or CloudFormation parameter it comes from), the refusals with their
// reasons, and a unified diff. No IO: the caller reads the files this asks for and writes the
// result (cli/commands/fix.ts).
import type { DeclaredEndpoint, Finding, Problem, SourceLocation, Unresolved, ValueOrigin } from '../types.js';
import { type FileChange, unifiedDiff } from './diff.js';
import { impliedTargetPort, rewriteComposePort } from './formats.js';
import { rewritePort } from './literal.js';

export interface FixEdit {
  file: string;
  line: number;
  before: string;
  after: string;
  from: number;
  to: number;
  /** What is edited, for people: `variable "db_port" default`, `literal`, … */
  what: string;
  findingIds: string[];
  resources: string[];
  /** Other resources fed by the same origin, which this edit changes too. */
  alsoChanges: string[];
}

export interface FixRefusal {
  findingId: string;
  resource: string;
  /** `file:line` of the value that would have been edited, when known. */
  where: string | null;
  reason: string;
}

export interface FixPlan {
  edits: FixEdit[];
  refused: FixRefusal[];
  /** Whole-file results, one per edited file, in file order. */
  changes: FileChange[];
  /** The unified diff of every change (empty when nothing is edited). */
  diff: string;
  /** Findings that are not `moved`: fix proposes nothing for them. */
  skipped: number;
}

interface Target {
  file: string;
  line: number;
  text: string | undefined;
  origin: ValueOrigin | undefined;
}

export function describeOrigin(origin: ValueOrigin | undefined): string {
  if (!origin || origin.kind === 'literal') return 'literal';
  const name = origin.name ?? '?';
  switch (origin.kind) {
    case 'variable-default':
      return `variable "${name}" default`;
    case 'tfvars':
      return `${name} in a tfvars file`;
    case 'local':
      return `local.${name}`;
    case 'module-input':
      return `module input ${name}`;
    case 'parameter-default':
      return `parameter ${name} Default`;
    case 'parameter-file':
      return `parameter ${name} in a parameters file`;
  }
}

const sameSource = (a: SourceLocation | null, b: SourceLocation): boolean =>
  a !== null && a.file === b.file && a.line === b.line;

function targetOf(ep: DeclaredEndpoint): Target {
  return ep.origin
    ? { file: ep.origin.file, line: ep.origin.line, text: ep.origin.text, origin: ep.origin }
    : { file: ep.source.file, line: ep.source.line, text: undefined, origin: undefined };
}

const keyOf = (t: Target): string => `${t.file}\u0000${t.line}\u0000${t.text ?? ''}`;

/** Every resource whose port is written at this target: the extractor's list, and what the model shows. */
function sharedWith(t: Target, endpoints: readonly DeclaredEndpoint[]): string[] {
  const fed = endpoints.filter((e) => e.origin && keyOf(targetOf(e)) === keyOf(t)).map((e) => e.resource);
  return [...new Set([...(t.origin?.sharedWith ?? []), ...fed])].sort();
}

/** Find where a moved finding's declared port is written, or why it cannot be said. */
export function locate(
  f: Finding,
  endpoints: readonly DeclaredEndpoint[],
  unresolved: readonly Unresolved[] = [],
): Target | string {
  const candidates = endpoints.filter(
    (e) =>
      e.role === 'listen' && e.resource === f.resource && e.port === f.port && (e.host === f.host || e.host === null),
  );
  if (candidates.length === 0) {
    // The port may be computed by an expression the extractor could not evaluate statically:
    // then that expression is the reason, not a stale finding.
    const computed = unresolved.find((u) => u.resource === f.resource && /port/i.test(u.attribute));
    if (computed)
      return (
        `the port of ${f.resource} is computed by \`${computed.expression}\` (` +
        `${computed.source.file}:${computed.source.line}), an expression fix cannot edit safely`
      );
    return `the IaC no longer declares port ${f.port} for ${f.resource} (the findings are older than the IaC?)`;
  }
  if (candidates.some((e) => e.toPort !== undefined))
    return `port ${f.port} of ${f.resource} is part of a port range; a range is not rewritten to one port`;
  // One endpoint per host shares one declaration; prefer the one at the finding's own line.
  const preferred = candidates.filter((e) => sameSource(f.source, e.source));
  const pool = preferred.length > 0 ? preferred : candidates;
  const targets = new Map(pool.map((e) => [keyOf(targetOf(e)), targetOf(e)]));
  if (targets.size > 1)
    return `port ${f.port} of ${f.resource} is declared in ${targets.size} places; which one moved is ambiguous`;
  return [...targets.values()][0]!;
}

/** The IaC files (relative to the IaC root) whose text planFixes needs. */
export function filesNeeded(findings: readonly Finding[], endpoints: readonly DeclaredEndpoint[]): string[] {
  const files = new Set<string>();
  for (const f of findings) {
    if (f.kind !== 'moved') continue;
    const t = locate(f, endpoints);
    if (typeof t !== 'string') files.add(t.file);
  }
  return [...files].sort();
}

export interface PlanOptions {
  /**
   * The findings are every finding of one complete scan (not a filtered query): then a resource
   * with no finding at a declared port is known to be in sync there, and an edit of a value that
   * also feeds it is refused, because it would move a port that is right.
   */
  complete?: boolean;
  /** Extraction problems: a finding in a file that did not parse is refused naming the problem. */
  problems?: readonly Problem[];
}

export function planFixes(
  findings: readonly Finding[],
  endpoints: readonly DeclaredEndpoint[],
  files: ReadonlyMap<string, string>,
  unresolved: readonly Unresolved[] = [],
  options: PlanOptions = {},
): FixPlan {
  const refused: FixRefusal[] = [];
  const groups = new Map<string, { target: Target; findings: Finding[] }>();
  let skipped = 0;
  for (const f of findings) {
    if (f.kind !== 'moved') {
      skipped++;
      continue;
    }
    if (f.observedPort === undefined) {
      refused.push({ findingId: f.id, resource: f.resource, where: null, reason: 'the finding has no observed port' });
      continue;
    }
    const broken = f.source ? options.problems?.find((p) => p.file === f.source!.file) : undefined;
    const t = locate(f, endpoints, unresolved);
    if (typeof t === 'string' && broken) {
      refused.push({
        findingId: f.id,
        resource: f.resource,
        where: `${f.source!.file}:${f.source!.line}`,
        reason:
          `${broken.file}${broken.line ? `:${broken.line}` : ''} ` +
          `could not be extracted (${broken.message}); fix that first`,
      });
      continue;
    }
    if (typeof t === 'string') {
      refused.push({
        findingId: f.id,
        resource: f.resource,
        where: f.source ? `${f.source.file}:${f.source.line}` : null,
        reason: t,
      });
      continue;
    }
    const g = groups.get(keyOf(t)) ?? { target: t, findings: [] };
    g.findings.push(f);
    groups.set(keyOf(t), g);
  }

  const lines = new Map<string, string[]>();
  const edits: FixEdit[] = [];
  for (const { target, findings: group } of groups.values()) {
    const where = `${target.file}:${target.line}`;
    const what = describeOrigin(target.origin);
    const refuseAll = (reason: string): void => {
      for (const f of group) refused.push({ findingId: f.id, resource: f.resource, where, reason });
    };
    // Where the value comes from, when that is more than the line itself.
    const originPrefix = target.origin ? `${what} at ${where}: ` : '';
    const wanted = new Set(group.map((f) => f.observedPort!));
    if (wanted.size > 1) {
      refuseAll(
        `${what} at ${where} feeds ${group.map((f) => `${f.resource} (now on ${f.observedPort})`).join(' and ')}` +
          `: one value cannot match both`,
      );
      continue;
    }
    const text = files.get(target.file);
    if (text === undefined) {
      refuseAll(`${target.file} could not be read`);
      continue;
    }
    const fileLines = lines.get(target.file) ?? text.split('\n');
    lines.set(target.file, fileLines);
    const before = fileLines[target.line - 1];
    if (before === undefined) {
      refuseAll(`${target.file} has no line ${target.line} (the file changed since it was extracted)`);
      continue;
    }
    const from = group[0]!.port;
    const to = [...wanted][0]!;
    const implied = impliedTargetPort(group[0]!.resource, before, from, to);
    if (implied) {
      refuseAll(`${originPrefix}${implied}`);
      continue;
    }
    const composeEdit =
      target.text === undefined && group[0]!.resource.startsWith('compose:')
        ? rewriteComposePort(before, from, to)
        : undefined;
    const edit = composeEdit ?? rewritePort(before, from, to, target.text);
    if (!edit.ok) {
      refuseAll(`${originPrefix}${edit.reason}`);
      continue;
    }
    const resources = [...new Set(group.map((f) => f.resource))];
    const alsoChanges = sharedWith(target, endpoints).filter((r) => !resources.includes(r));
    if (options.complete) {
      // Checked (placed on a host, TCP) and no finding there: the port is right for that resource.
      const checked = (r: string): boolean =>
        endpoints.some(
          (e) => e.resource === r && e.port === from && e.role === 'listen' && e.host !== null && e.protocol === 'tcp',
        );
      const inSync = alsoChanges.filter(
        (r) => checked(r) && !findings.some((f) => f.resource === r && f.port === from),
      );
      if (inSync.length > 0) {
        refuseAll(
          `${what} at ${where} also feeds ${inSync.join(', ')}, which ${inSync.length === 1 ? 'is' : 'are'} in ` +
            `sync on ${from}: changing it would move ${inSync.length === 1 ? 'that port' : 'those ports'}` +
            ` too; give ${resources.join(', ')} a value of ${resources.length === 1 ? 'its' : 'their'} own`,
        );
        continue;
      }
    }
    fileLines[target.line - 1] = edit.line;
    edits.push({
      file: target.file,
      line: target.line,
      before,
      after: edit.line,
      from,
      to,
      what,
      findingIds: group.map((f) => f.id),
      resources,
      alsoChanges,
    });
  }

  const changes: FileChange[] = [...lines.keys()]
    .sort()
    .map((file) => ({ file, before: files.get(file)!, after: lines.get(file)!.join('\n') }))
    .filter((c) => c.before !== c.after);
  edits.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { edits, refused, changes, diff: changes.map(unifiedDiff).join(''), skipped };
}
