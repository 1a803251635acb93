// `.portdriftignore` in the IaC root: findings a team has decided not to see from `scan`, each
// with its reason (as driftctl's `.driftignore`, and the same shape as the collector's ignore
// rules: a finding kind or any, a resource glob, optionally a host and a port). One rule a line:
//
//   # comment
//   <kind|*> <resource-glob> [<host|*>[:<port|*>]] # <reason>
//
//   undeclared  *                        10.0.2.10:22   # bastion sshd, OPS-12
//   *           aws_instance.legacy_*                   # decommissioned in Q1
//   missing     aws_ecs_task_definition.api  *:9090     # metrics sidecar off in staging
//
// `*` in a resource glob matches any run of characters. Matching findings are left out of the
// report and counted in its summary (`ignored N`). A rule without a reason, an unknown kind or a
// bad port is an error that names the file and line: a silently broken ignore file would hide
// drift nobody chose to hide, or hide nothing that someone meant to.
import { FINDING_KINDS } from './drift/index.js';
import { PortdriftError } from './errors.js';
import { MAX_PORT, MIN_PORT, portNumber } from './ports.js';
import { addressGlob } from './glob.js';
import type { DriftReport, Finding, FindingKind } from './types.js';

export const IGNORE_FILE = '.portdriftignore';

export interface IgnoreFileRule {
  /** null: every kind. */
  kind: FindingKind | null;
  resource: string;
  /** null: any host. */
  host: string | null;
  /** null: any port. */
  port: number | null;
  reason: string;
  line: number;
}

/** `host`, `host:port`, `[v6]:port`, `*:port`, or a bare IPv6 address (no port). */
function parseTarget(text: string): { host: string | null; port: string | null } {
  const bracketed = /^\[([^\]]+)\](?::(.+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ?? null };
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = text.split(':') as [string, string];
    return { host: host === '*' ? null : host, port };
  }
  return { host: text === '*' ? null : text, port: null };
}

/** Parse the file's text; every problem is listed (`FILE:LINE: message`) in one PD_CONFIG_INVALID. */
export function parseIgnoreFile(text: string, file: string): IgnoreFileRule[] {
  const rules: IgnoreFileRule[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const hash = raw.search(/\s#/);
    const reason =
      hash === -1
        ? ''
        : raw
            .slice(hash)
            .replace(/^\s*#\s*/, '')
            .trim();
    const fields = (hash === -1 ? raw : raw.slice(0, hash)).trim().split(/\s+/);
    const bad = (m: string) => problems.push(`${file}:${line}: ${m}`);
    if (fields.length < 2 || fields.length > 3) {
      const shape = '"<kind|*> <resource-glob> [<host>[:<port>]] # <reason>"';
      return void bad(`expected ${shape}, got ${JSON.stringify(trimmed)}`);
    }
    if (reason === '') return void bad('a rule needs its reason after " # " (why this drift is not worth seeing)');
    const [kindText, resource, targetText] = fields as [string, string, string | undefined];
    const known = (FINDING_KINDS as readonly string[]).includes(kindText);
    const kind = kindText === '*' ? null : known ? (kindText as FindingKind) : undefined;
    if (kind === undefined) bad(`unknown kind ${JSON.stringify(kindText)}: expected * or ${FINDING_KINDS.join(', ')}`);
    const target = targetText === undefined ? { host: null, port: null } : parseTarget(targetText);
    let port: number | null = null;
    if (target.port !== null && target.port !== '*') {
      port = portNumber(target.port);
      if (port === null) bad(`port ${JSON.stringify(target.port)} is not ${MIN_PORT}-${MAX_PORT} or *`);
    }
    if (kind !== undefined) rules.push({ kind, resource, host: target.host, port, reason, line });
  });
  if (problems.length) throw new PortdriftError('PD_CONFIG_INVALID', problems.join('; '), { details: { problems } });
  return rules;
}

export function ignoreFileMatcher(rules: readonly IgnoreFileRule[]): (f: Finding) => boolean {
  const compiled = rules.map((r) => ({ r, matches: addressGlob(r.resource) }));
  // A finding of merged resources ("a, b") matches when one of them does, as the collector's rules.
  return (f) =>
    compiled.some(
      ({ r, matches }) =>
        (r.kind === null || r.kind === f.kind) &&
        (r.host === null || r.host.toLowerCase() === f.host.toLowerCase()) &&
        (r.port === null || r.port === f.port || r.port === f.observedPort) &&
        f.resource.split(', ').some(matches),
    );
}

/** The report without the findings the rules match; summary counts recomputed, `ignored` set. */
export function applyIgnoreFile(report: DriftReport, rules: readonly IgnoreFileRule[]): DriftReport {
  const ignored = ignoreFileMatcher(rules);
  const findings = report.findings.filter((f) => !ignored(f));
  const byKind: DriftReport['summary']['byKind'] = {};
  for (const f of findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  const ignoredCount = report.findings.length - findings.length;
  const summary = { ...report.summary, findings: findings.length, byKind, ignored: ignoredCount };
  return { ...report, findings, summary };
}
