// Findings → SARIF 2.1.0, the format code hosts (GitHub code scanning, GitLab, Azure DevOps)
// read to annotate source lines. One result per finding, located at the IaC file and line of the
// declared port, so the annotation lands on the `.tf` line that is wrong. One rule per finding
// kind. `partialFingerprints` carries the finding id: the id is stable across runs (a hash of
// kind, resource, host and port), so code hosts track one alert per drift instead of reopening
// a new one each time a line number shifts.
import type { DriftReport, Finding, FindingKind, Severity } from '../types.js';
import { VERSION } from '../version.js';
import { joinPrefix, normalisePrefix } from './paths.js';

export interface SarifOptions {
  /**
   * Prefix joined to every `source.file` (which is relative to the IaC root given on the command
   * line). Code hosts resolve result URIs against the repository root, so a scan of `infra/`
   * needs `infra/` here for the annotations to land on the right file.
   */
  uriPrefix?: string;
}

interface RuleText {
  name: string;
  short: string;
  full: string;
  help: string;
  severity: Severity;
}

// Kept in the order of docs/design/findings.md#kinds; the rule index of a result is its place here.
export const SARIF_RULES: Readonly<Record<FindingKind, RuleText>> = {
  moved: {
    name: 'PortMoved',
    short: 'A declared port is closed and the service listens on another port',
    full:
      'The IaC declares a listen port that is closed on the host, while a ' +
      'nearby port that nothing declares is open: the service most likely moved.',
    help:
      'Change the declared port to the observed one (portdrift fix ' +
      'proposes the patch), or move the service back to the declared port.',
    severity: 'high',
  },
  missing: {
    name: 'PortMissing',
    short: 'A declared port is closed and no replacement port is open',
    full:
      'The IaC declares a listen port that answers closed on the ' +
      'host, and no undeclared open port looks like its replacement.',
    help: 'Check that the service runs; if it was removed on purpose, remove the declaration.',
    severity: 'high',
  },
  unreachable: {
    name: 'PortUnreachable',
    short: 'A declared port is filtered or unreachable from the agents',
    full:
      'The declared listen port did not answer (filtered) or its host was unreachable from the ' +
      'agents that cover it; whether it listens is unknown, which is not the same as in sync.',
    help: 'Check firewalls and security groups between the agent and the host, or the agent scope.',
    severity: 'medium',
  },
  undeclared: {
    name: 'PortUndeclared',
    short: 'A port is open on a host known from IaC but no IaC declares it',
    full:
      'An open port on a host that the IaC knows, which no IaC declaration ' +
      'accounts for: a shadow service, a debug port or a forgotten listener.',
    help: 'Declare the port in IaC if it is intended, otherwise stop the listener.',
    severity: 'medium',
  },
  unobserved: {
    name: 'PortUnobserved',
    short: 'No agent observed a declared endpoint within the freshness window',
    full:
      'No agent has observed this declared endpoint recently: no ' +
      'agent covers the host, the agent is down, or DNS failed.',
    help: 'Deploy or fix an agent whose scope covers the host, or add the host to a targets file.',
    severity: 'low',
  },
  'config-drift': {
    name: 'PortConfigDrift',
    short: 'The port configured in the cloud differs from the declared one',
    full:
      'The cloud API (scan --live) says the resource is configured on another port than the ' +
      'IaC declares: someone changed it outside the IaC, or the IaC changed and was not applied.',
    help: 'Update the IaC if the live change should stay, otherwise revert the live change (or apply the IaC).',
    severity: 'high',
  },
  'unmanaged-rule': {
    name: 'UnmanagedIngressRule',
    short: 'A live security-group ingress rule that no IaC declares',
    full:
      'A security group managed by this IaC has an ingress rule ' +
      'that no IaC rule declares: it was most likely opened by hand.',
    help: 'Declare the rule in the IaC if it should stay, otherwise revoke it.',
    severity: 'medium',
  },
  'missing-rule': {
    name: 'MissingIngressRule',
    short: 'An IaC-declared ingress rule is not live',
    full:
      'The IaC declares an ingress rule on a security group that the live ' +
      'group does not have: it was removed by hand, or the IaC was not applied.',
    help: 'Apply the IaC to restore the rule, or remove the declaration if it is no longer wanted.',
    severity: 'medium',
  },
  'stale-rule': {
    name: 'StaleIngressRule',
    short: 'An ingress rule allows a port on which nothing listens',
    full:
      'A security group rule (declared or live) allows a port that the probe found ' +
      'closed on every host that carries the group: the service behind it is gone or down.',
    help:
      'Remove the rule (from the IaC and the live group) if ' +
      'nothing should listen there, otherwise bring the service back.',
    severity: 'low',
  },
  'wrong-service': {
    name: 'WrongService',
    short: 'A declared port answers with another protocol than the IaC expects',
    full:
      'The port is open, but its fingerprint names another service than the one the IaC implies (an RDS ' +
      'engine, a target group protocol, a Kubernetes appProtocol or port name, a container image): something ' +
      'else took the port, or the IaC names the wrong engine.',
    help:
      'Find what listens on the port and move it (or the expected service), ' +
      'or correct the IaC line that names the service.',
    severity: 'high',
  },
};

const KINDS = Object.keys(SARIF_RULES) as FindingKind[];

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { high: 'error', medium: 'warning', low: 'note' };

// GitHub ranks code-scanning alerts by `security-severity` (a CVSS-like 0.0–10.0 score):
// ≥ 7.0 high, ≥ 4.0 medium, < 4.0 low.
const SECURITY_SEVERITY: Record<Severity, string> = { high: '8.0', medium: '5.0', low: '3.0' };

// artifactLocation.uri is a URI reference (SARIF §3.10), not a path: each segment is
// percent-encoded, so `dir with spaces/a#1.yaml` stays one file and `#` or `?` cannot cut it.
const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

const joinUri = (prefix: string | undefined, file: string): string => encodePath(joinPrefix(prefix, file));

/** The prefix as an encoded URI path ending in `/`, or `./` when it names the root itself. */
function rootUri(prefix: string | undefined): string {
  const p = normalisePrefix(prefix);
  return p === '' ? './' : `${encodePath(p)}/`;
}

function result(f: Finding, options: SarifOptions): Record<string, unknown> {
  const where = `${f.host}:${f.port}${f.observedPort !== undefined ? ` (listening on ${f.observedPort})` : ''}`;
  const text = f.suggestion ? `${f.message.replace(/\.\s*$/, '')}. ${f.suggestion}` : f.message;
  const out: Record<string, unknown> = {
    ruleId: f.kind,
    ruleIndex: KINDS.indexOf(f.kind),
    level: LEVEL[f.severity],
    message: { text },
    // GitHub code scanning rejects the whole file if any result lacks a physical location, so a
    // finding without an IaC line (an undeclared port belongs to a host, not to a line) is
    // attached to the IaC root itself, with no region, and named by its logical location.
    locations: [
      {
        physicalLocation: f.source
          ? {
              artifactLocation: { uri: joinUri(options.uriPrefix, f.source.file), uriBaseId: '%SRCROOT%' },
              region: { startLine: Math.max(1, f.source.line) },
            }
          : { artifactLocation: { uri: rootUri(options.uriPrefix), uriBaseId: '%SRCROOT%' } },
        logicalLocations: [{ name: where, fullyQualifiedName: `${f.resource}@${where}`, kind: 'resource' }],
      },
    ],
    partialFingerprints: { 'portdriftFindingId/v1': f.id },
    properties: {
      findingId: f.id,
      resource: f.resource,
      host: f.host,
      port: f.port,
      ...(f.observedPort !== undefined ? { observedPort: f.observedPort } : {}),
      ...(f.expectedService !== undefined ? { expectedService: f.expectedService } : {}),
      ...(f.observedService !== undefined ? { observedService: f.observedService } : {}),
      state: f.state,
      agent: f.agent,
      severity: f.severity,
      firstSeen: f.firstSeen,
      lastSeen: f.lastSeen,
      ...(f.liveId !== undefined
        ? {
            liveId: f.liveId,
            declared: f.declared ?? null,
            configured: f.configured ?? null,
            observed: f.observed ?? null,
          }
        : {}),
      ...(f.changedBy !== undefined ? { changedBy: f.changedBy } : {}),
      ...(f.changedAt !== undefined ? { changedAt: f.changedAt } : {}),
    },
  };
  // An acknowledged finding stays listed (docs/design/findings.md#formats) but as an accepted suppression, so code
  // hosts show it as dismissed with the reason rather than as an open alert.
  if (f.ack) {
    out.suppressions = [
      {
        kind: 'external',
        status: 'accepted',
        justification:
          `${f.ack.reason} (acknowledged by ${f.ack.by} at ` +
          `${f.ack.at}${f.ack.expiresAt ? `, until ${f.ack.expiresAt}` : ''})`,
      },
    ];
  }
  return out;
}

/** The SARIF log as an object (tests and callers that embed it). */
export function toSarif(report: DriftReport, options: SarifOptions = {}): Record<string, unknown> {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'portdrift',
            semanticVersion: VERSION,
            version: VERSION,
            informationUri: 'https://github.com/portdrift/portdrift',
            rules: KINDS.map((kind) => {
              const r = SARIF_RULES[kind];
              return {
                id: kind,
                name: r.name,
                shortDescription: { text: r.short },
                fullDescription: { text: r.full },
                help: { text: r.help },
                defaultConfiguration: { level: LEVEL[r.severity] },
                properties: {
                  tags: ['security', 'drift', 'iac'],
                  'security-severity': SECURITY_SEVERITY[r.severity],
                  precision: 'high',
                },
              };
            }),
          },
        },
        automationDetails: { id: 'portdrift/' },
        invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
        results: report.findings.map((f) => result(f, options)),
        properties: { summary: report.summary },
      },
    ],
  };
}

export function formatSarif(report: DriftReport, options: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(report, options), null, 2)}\n`;
}
