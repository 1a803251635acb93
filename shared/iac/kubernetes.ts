// The Kubernetes manifest extractor: multi-document YAML (and JSON) streams, addresses
// `k8s:Kind/namespace/name` (namespace `default` when absent). Workloads come first (all files),
// then Services, because a Service's named targetPort is resolved through its selector against
// pod template labels that may live in another file (docs/design/iac-extraction.md#kubernetes):
// - a Service's `port` listens on its derived name NAME.NAMESPACE.svc.<clusterDomain>; for a
//   headless Service (`clusterIP: None`) that name resolves to the pods, so the targetPort is
//   what listens there; an ExternalName Service has nothing to probe;
// - its targetPort (omitted → same as port) listens on the selected pods: it becomes an endpoint
//   of each selected workload that does not already declare it. A targetPort that no selected
//   pod template can place (a name no container declares, or no workload in the given files
//   matches the selector) is listed as unresolved;
// - nodePort is not extracted: it listens on every node, whose addresses IaC does not hold.
import { isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node } from 'yaml';
import type {
  DeclaredEndpoint,
  DeclaredModel,
  PodSelector,
  Protocol,
  ServiceExpectation,
  ServiceName,
} from '../types.js';
import { appProtocolService, portNameService } from './expect.js';
import { toPort } from './declare.js';
import { emptyModel, type ExtractContext, type Extractor, type SourceFile } from './model.js';
import {
  firstDeclaration,
  k8sProtocol,
  listenEndpoint,
  POD_TEMPLATE_PATHS,
  readSelector,
  readWorkload,
  type Workload,
} from './kubernetes-pods.js';
import {
  get,
  getIn,
  getPair,
  items,
  lineOf,
  pairLine,
  parseYamlStream,
  plain,
  scalarString,
  sourceText,
  streamProblems,
  type YamlStream,
} from './yaml.js';

export function looksLikeKubernetes(head: string): boolean {
  // JSON may be compact (`{"apiVersion": "v1", "kind": …}` on one line): its keys are quoted.
  if (/^\s*[[{]/.test(head)) return /"apiVersion"\s*:/.test(head) && /"kind"\s*:/.test(head);
  return /^\s*["']?apiVersion["']?\s*:/m.test(head) && /^\s*["']?kind["']?\s*:/m.test(head);
}

interface PendingService {
  s: YamlStream;
  doc: Document;
  /** The manifest: a document's root, or an item of a `kind: List`. */
  node: Node;
  address: string;
  namespace: string;
}

export function serviceHost(name: string, namespace: string, clusterDomain: string): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

export function extractManifests(files: SourceFile[], clusterDomain: string): DeclaredModel {
  const model = emptyModel();
  const workloads: Workload[] = [];
  const services: PendingService[] = [];
  for (const f of files) {
    const s = parseYamlStream(f.file, f.text);
    model.problems.push(...streamProblems(s));
    for (const doc of s.docs) {
      // A document that does not parse is its own problem: the other documents of the stream
      // (the yaml library parses each apart) are still extracted. An unknown tag only poisons
      // the value under it.
      if (doc.errors.length > 0) continue;
      for (const node of manifestsOf(s, doc, model)) {
        const kind = scalarString(doc, get(doc, node, 'kind'));
        const name = scalarString(doc, getIn(doc, node, ['metadata', 'name']));
        // Only workloads and Services hold ports. Other kinds may lack a name by design (a
        // kustomization, a kubeconfig, kubeadm and kubelet configs): nothing to say about them.
        if (kind && !name && !(kind in POD_TEMPLATE_PATHS) && kind !== 'Service') continue;
        if (!kind || !name) {
          model.problems.push({
            file: f.file,
            line: lineOf(s.lc, node),
            code: 'PD_IAC_SHAPE',
            message:
              `Kubernetes ${kind ? `${kind} ` : ''}document has ` +
              `no ${kind ? '' : 'kind or '}metadata.name; skipped`,
          });
          continue;
        }
        const namespace = scalarString(doc, getIn(doc, node, ['metadata', 'namespace'])) ?? 'default';
        const address = `k8s:${kind}/${namespace}/${name}`;
        const line = lineOf(s.lc, getPair(doc, node, 'kind')?.key as Node);
        if (kind in POD_TEMPLATE_PATHS) {
          const w = readWorkload(s, doc, node, kind, address, namespace, model);
          const pods = readSelector(doc, node, kind, namespace, w.labels);
          model.resources.push({ address, type: kind, source: { file: f.file, line }, hosts: [], pods });
          workloads.push(w);
        } else if (kind === 'Service') {
          const external = scalarString(doc, getIn(doc, node, ['spec', 'type'])) === 'ExternalName';
          model.resources.push({
            address,
            type: kind,
            source: { file: f.file, line },
            hosts: external ? [] : [serviceHost(name, namespace, clusterDomain)],
          });
          if (!external) services.push({ s, doc, node, address, namespace });
        }
      }
    }
  }
  for (const svc of services) readService(svc, workloads, model);
  return model;
}

/**
 * The manifests of one document: the document itself, or the items of a `kind: List` (what
 * `kubectl get -o yaml` prints). `---` followed by nothing is an empty document: common between
 * manifests, harmless.
 */
function manifestsOf(s: YamlStream, doc: Document, model: DeclaredModel): Node[] {
  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (scalarString(doc, get(doc, root, 'kind')) !== 'List') return [root];
  const list = get(doc, root, 'items');
  if (!isSeq(list)) {
    model.problems.push({
      file: s.file,
      line: lineOf(s.lc, list ?? root),
      code: 'PD_IAC_SHAPE',
      message: 'Kubernetes List has no items sequence; skipped',
    });
    return [];
  }
  return items(doc, list);
}

function readService(
  { s, doc, node, address, namespace }: PendingService,
  workloads: Workload[],
  model: DeclaredModel,
): void {
  const spec = get(doc, node, 'spec');
  const headless = scalarString(doc, get(doc, spec, 'clusterIP')) === 'None';
  const selectorNode = get(doc, spec, 'selector');
  const selector = (isMap(selectorNode) ? plain(doc, selectorNode) : {}) as Record<string, unknown>;
  const selected =
    Object.keys(selector).length === 0
      ? []
      : workloads.filter(
          (w) => w.namespace === namespace && Object.entries(selector).every(([k, v]) => w.labels[k] === String(v)),
        );
  const file = s.file;
  // The pods this Service selects, and the numeric targetPorts it sends them (an agent in one of
  // those pods is compared with them when no workload in the IaC declares the pod).
  const targetPorts: NonNullable<PodSelector['targetPorts']> = [];
  if (Object.keys(selector).length > 0) {
    const resource = model.resources.find((r) => r.address === address);
    const matchLabels = Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, String(v)]));
    if (resource) resource.pods = { namespace, matchLabels, targetPorts };
  }
  const declared = new Set<string>();
  const push = (port: number, protocol: Protocol, line: number, valueNode: Node | undefined): void => {
    if (!firstDeclaration(declared, port, protocol)) return;
    const literal = valueNode && /^\d+$/.test(sourceText(s, valueNode)) ? valueNode : undefined;
    model.endpoints.push(listenEndpoint(s, address, port, protocol, line, literal));
  };
  items(doc, get(doc, spec, 'ports')).forEach((p, i) => {
    const from = model.endpoints.length;
    const placedOn = readPort(p, i);
    const expect = portExpectation(s, doc, p);
    if (!expect) return;
    // The new endpoints, and the pods' own container ports the targetPort landed on.
    const hit = (e: DeclaredEndpoint): boolean => placedOn.some((x) => x.resource === e.resource && x.port === e.port);
    model.endpoints.forEach((e, j) => {
      if (e.role !== 'listen' || e.toPort !== undefined || e.expect || (j < from && !hit(e))) return;
      e.expect = { ...expect, source: { ...expect.source } };
    });
  });

  /** Reads one Service port; returns the workload ports its targetPort landed on. */
  function readPort(p: Node, i: number): Array<{ resource: string; port: number }> {
    const landed: Array<{ resource: string; port: number }> = [];
    const at = `spec.ports[${i}]`;
    const protocol = k8sProtocol(scalarString(doc, get(doc, p, 'protocol')));
    const portPair = getPair(doc, p, 'port');
    const portText = scalarString(doc, portPair?.value);
    const port = toPort(portText);
    const portLine = portPair ? pairLine(s.lc, portPair) : lineOf(s.lc, p);
    if (port === undefined) {
      model.problems.push({
        file,
        line: portLine,
        code: 'PD_IAC_SHAPE',
        message: `${address} ${at}.port: ${JSON.stringify(portText ?? null)} is not a port number (1–65535)`,
      });
      return landed;
    }
    if (!protocol) return landed;
    if (!headless) push(port, protocol, portLine, portPair?.value as Node);

    const tpPair = getPair(doc, p, 'targetPort');
    const written = tpPair ? scalarString(doc, tpPair.value) : String(port);
    const tpLine = tpPair ? pairLine(s.lc, tpPair) : portLine;
    const tpNode = (tpPair?.value ?? portPair?.value) as Node | undefined;
    const numeric = written !== undefined && /^\d+$/.test(written);
    if (numeric && toPort(written) === undefined) {
      model.problems.push({
        file,
        line: tpLine,
        code: 'PD_IAC_SHAPE',
        message: `${address} ${at}.targetPort: ${written} is not a port number (1–65535)`,
      });
      return landed;
    }
    if (numeric) targetPorts.push({ port: toPort(written)!, protocol, source: { file, line: tpLine } });
    // Each selected pod template places the targetPort on its own pods.
    const placed: number[] = [];
    for (const w of selected) {
      const target = numeric
        ? toPort(written)
        : w.named.find((n) => n.name === written && n.protocol === protocol)?.port;
      if (target === undefined) continue;
      placed.push(target);
      landed.push({ resource: w.address, port: target });
      if (!firstDeclaration(w.declared, target, protocol)) continue;
      model.endpoints.push(listenEndpoint(s, w.address, target, protocol, tpLine, numeric ? tpNode : undefined));
    }
    if (headless) {
      if (numeric) push(toPort(written)!, protocol, tpLine, tpNode);
      else for (const t of new Set(placed)) push(t, protocol, tpLine, undefined);
    }
    if (placed.length === 0) {
      model.unresolved.push({
        resource: address,
        attribute: `${at}.targetPort`,
        expression: tpPair ? sourceText(s, tpPair.value as Node) : String(port),
        source: { file, line: tpLine },
      });
    }
    return landed;
  }
}

/**
 * What one Service port should speak: its `appProtocol`, else its `name`, else a named
 * `targetPort` (`http`, `grpc-web`, `postgres`, `metrics`), each with its own line.
 */
function portExpectation(s: YamlStream, doc: Document, p: Node): ServiceExpectation | undefined {
  const tries: Array<[string, (v: string) => ServiceName | null]> = [
    ['appProtocol', appProtocolService],
    ['name', portNameService],
    ['targetPort', portNameService],
  ];
  for (const [key, map] of tries) {
    const pair = getPair(doc, p, key);
    const v = pair ? scalarString(doc, pair.value) : undefined;
    if (!pair || v === undefined || /^\d+$/.test(v)) continue;
    const service = map(v);
    if (service) return { service, source: { file: s.file, line: pairLine(s.lc, pair) }, by: `${key} ${v}` };
    if (key === 'appProtocol') return undefined; // an appProtocol that names no fingerprint: no guess from the name
  }
  return undefined;
}

export const kubernetesExtractor: Extractor = {
  name: 'kubernetes',
  claims: (path, head) => /\.(ya?ml|json)$/i.test(path) && looksLikeKubernetes(head),
  async extract(files: SourceFile[], ctx: ExtractContext): Promise<DeclaredModel> {
    return extractManifests(files, ctx.options.clusterDomain);
  },
};
