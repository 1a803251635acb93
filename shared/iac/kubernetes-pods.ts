// Kubernetes pod templates (docs/design/iac-extraction.md#kubernetes): container and initContainer ports, and
// the ports their tcpSocket / httpGet / grpc probes connect to (named probe ports resolved
// against the container's own `ports[].name`). The result also keeps the template labels and the
// named ports, which Services need to resolve a named targetPort.
import { isMap } from 'yaml';
import type { Document, Node } from 'yaml';
import type { DeclaredEndpoint, DeclaredModel, PodSelector, Protocol } from '../types.js';
import { toPort } from './declare.js';
import {
  get,
  getIn,
  getPair,
  items,
  literalOrigin,
  pairLine,
  plain,
  scalarString,
  sourceText,
  type YamlStream,
} from './yaml.js';

/** Where each workload kind keeps its pod template (Pod: the object itself). */
export const POD_TEMPLATE_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  Pod: [],
};

export interface NamedPort {
  name: string;
  port: number;
  protocol: Protocol;
}

export interface Workload {
  address: string;
  namespace: string;
  labels: Record<string, string>;
  named: NamedPort[];
  /** `port/protocol` already declared by this workload, so a Service or probe adds each port once. */
  declared: Set<string>;
}

/** Kubernetes protocols → ours; SCTP (and anything else) has no TCP/UDP port to probe. */
export function k8sProtocol(value: string | undefined): Protocol | undefined {
  if (value === undefined || value.toUpperCase() === 'TCP') return 'tcp';
  if (value.toUpperCase() === 'UDP') return 'udp';
  return undefined;
}

/**
 * A port that listens on a workload's pods or on a Service's name, declared at `line`; `literal`:
 * the scalar the number is written as there, its origin (none for a name resolved to a port).
 */
export function listenEndpoint(
  s: YamlStream,
  resource: string,
  port: number,
  protocol: Protocol,
  line: number,
  literal?: Node,
): DeclaredEndpoint {
  const origin = literal ? { origin: literalOrigin(s, literal) } : {};
  return { resource, host: null, port, protocol, role: 'listen', source: { file: s.file, line }, ...origin };
}

/** True the first time `declared` (a resource's `port/protocol` keys) sees this port: each is declared once. */
export function firstDeclaration(declared: Set<string>, port: number, protocol: Protocol): boolean {
  const key = `${port}/${protocol}`;
  if (declared.has(key)) return false;
  declared.add(key);
  return true;
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const PROBE_HANDLERS = ['tcpSocket', 'httpGet', 'grpc'] as const;

export function readWorkload(
  s: YamlStream,
  doc: Document,
  node: Node,
  kind: string,
  address: string,
  namespace: string,
  model: DeclaredModel,
): Workload {
  const template = getIn(doc, node, POD_TEMPLATE_PATHS[kind]!);
  const labelsNode = getIn(doc, template, ['metadata', 'labels']);
  const labels = Object.fromEntries(
    Object.entries((isMap(labelsNode) ? plain(doc, labelsNode) : {}) as Record<string, unknown>).map(([k, v]) => [
      k,
      String(v),
    ]),
  );
  const spec = get(doc, template, 'spec');
  const w: Workload = { address, namespace, labels, named: [], declared: new Set() };
  const file = s.file;
  const basePath = kind === 'Pod' ? 'spec' : `${POD_TEMPLATE_PATHS[kind]!.join('.')}.spec`;

  for (const group of ['initContainers', 'containers'] as const) {
    items(doc, get(doc, spec, group)).forEach((c, ci) => {
      const at = `${basePath}.${group}[${ci}]`;
      const own: NamedPort[] = [];
      items(doc, get(doc, c, 'ports')).forEach((p, pi) => {
        const pair = getPair(doc, p, 'containerPort');
        if (!pair) return;
        const line = pairLine(s.lc, pair);
        const value = scalarString(doc, pair.value);
        const port = toPort(value);
        const protocol = k8sProtocol(scalarString(doc, get(doc, p, 'protocol')));
        if (port === undefined) {
          model.problems.push({
            file,
            line,
            code: 'PD_IAC_SHAPE',
            message:
              `${address} ${at}.ports[${pi}].containerPort: ` +
              `${JSON.stringify(value ?? null)} is not a port number (1–65535)`,
          });
          return;
        }
        if (!protocol) return;
        const name = scalarString(doc, get(doc, p, 'name'));
        if (name) own.push({ name, port, protocol });
        if (firstDeclaration(w.declared, port, protocol))
          model.endpoints.push(listenEndpoint(s, address, port, protocol, line, pair.value as Node));
      });
      w.named.push(...own);
      for (const probe of PROBES) {
        for (const handler of PROBE_HANDLERS) {
          const pair = getPair(doc, getIn(doc, c, [probe, handler]), 'port');
          if (!pair) continue;
          const line = pairLine(s.lc, pair);
          const written = scalarString(doc, pair.value);
          const numeric = written !== undefined && /^\d+$/.test(written);
          const port = numeric ? toPort(written) : own.find((n) => n.name === written && n.protocol === 'tcp')?.port;
          if (port === undefined) {
            if (numeric)
              model.problems.push({
                file,
                line,
                code: 'PD_IAC_SHAPE',
                message: `${address} ${at}.${probe}.${handler}.port: ${written} is not a port number (1–65535)`,
              });
            else
              model.unresolved.push({
                resource: address,
                attribute: `${at}.${probe}.${handler}.port`,
                expression: sourceText(s, pair.value as Node),
                source: { file, line },
              });
            continue;
          }
          if (firstDeclaration(w.declared, port, 'tcp'))
            model.endpoints.push(
              listenEndpoint(s, address, port, 'tcp', line, numeric ? (pair.value as Node) : undefined),
            );
        }
      }
    });
  }
  return w;
}

/**
 * The pods a workload runs: its `spec.selector` (matchLabels / matchExpressions; a plain map on a
 * ReplicationController), else its pod template's labels (a Pod, a CronJob, a Job without one).
 * An empty selector selects nothing here: an agent is never mapped to a workload by accident.
 */
export function readSelector(
  doc: Document,
  node: Node,
  kind: string,
  namespace: string,
  labels: Record<string, string>,
): PodSelector {
  const sel = kind === 'Pod' || kind === 'CronJob' ? undefined : getIn(doc, node, ['spec', 'selector']);
  const value = (isMap(sel) ? plain(doc, sel) : null) as Record<string, unknown> | null;
  if (!value) return { namespace, matchLabels: { ...labels } };
  const structured = 'matchLabels' in value || 'matchExpressions' in value;
  const strings = (v: unknown): Record<string, string> =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]))
      : {};
  if (!structured) return { namespace, matchLabels: strings(value) };
  const exprs = Array.isArray(value.matchExpressions) ? value.matchExpressions : [];
  const matchExpressions = exprs
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object' && typeof e.key === 'string')
    .map((e) => ({
      key: String(e.key),
      operator: String(e.operator ?? ''),
      values: Array.isArray(e.values) ? e.values.map(String) : [],
    }));
  const more = matchExpressions.length > 0 ? { matchExpressions } : {};
  return { namespace, matchLabels: strings(value.matchLabels), ...more };
}
