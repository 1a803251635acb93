// Terraform's kubernetes provider read by the rules of the Kubernetes manifest extractor
// (shared/iac/kubernetes.ts), so that a Service means the same whichever way it is written:
// - `spec.port[].port` listens on the Service's derived name NAME.NAMESPACE.svc.<cluster domain>
//   (a headless Service, `cluster_ip = "None"`, listens on its target port there; an
//   ExternalName Service has nothing to probe);
// - `target_port` (omitted → `port`) is the pods' port: it becomes an endpoint of each selected
//   workload (kubernetes_deployment, _stateful_set, _daemonset, _pod) that does not already
//   declare it, a named one resolved through the containers' `port[].name`; one that no workload
//   of the extraction can place is unresolved.
// Workloads can be declared after the Service (or in another module), so the handlers only
// record what they read; `placeServiceTargets` joins them when every root has been expanded.
import type { DeclaredModel, Protocol, Unresolved } from '../../types.js';
import { serviceHost } from '../kubernetes.js';
import { appProtocolService, expectSince, portNameService } from '../expect.js';
import { attr, children, type Attr, type Block } from './block.js';
import { endpoint, listen, literal, portOf, type Emit } from './emit.js';
import type { Origin, Value } from './eval.js';

interface Workload {
  address: string;
  namespace: string;
  labels: Record<string, string>;
  named: { name: string; port: number; protocol: Protocol }[];
  /** `port/protocol` already declared by this workload. */
  declared: Set<string>;
}

interface ServicePort {
  protocol: Protocol;
  /** The written target port: a number or a name. */
  target: { port: number; origin: Origin | undefined } | { name: string };
  /** The attribute that holds it (`target_port`, or `port` when target_port is omitted). */
  attr: Attr;
}

interface Service {
  e: Emit;
  name: string | undefined;
  namespace: string;
  external: boolean;
  headless: boolean;
  /** Undefined when the selector is not written as literals. */
  selector: Record<string, string> | undefined;
  ports: ServicePort[];
}

const pending = new WeakMap<DeclaredModel, { services: Service[]; workloads: Workload[] }>();
const of = (model: DeclaredModel): { services: Service[]; workloads: Workload[] } => {
  let p = pending.get(model);
  if (!p) {
    p = { services: [], workloads: [] };
    pending.set(model, p);
  }
  return p;
};

const protocolOf = (b: Block): Protocol => (/^udp$/i.test(literal(attr(b, 'protocol')?.value) ?? '') ? 'udp' : 'tcp');

/** A map of literal strings (labels, a selector); undefined when any part is an expression. */
function stringMap(v: Value | undefined): Record<string, string> | undefined {
  if (v === undefined) return {};
  if (v.t !== 'map') return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of v.items) {
    const s = literal(x);
    if (s === undefined) return undefined;
    out[k] = s;
  }
  return out;
}

interface Metadata {
  name: string | undefined;
  namespace: string;
  labels: Value | undefined;
}

function metadata(b: Block, e: Emit, unresolved: Unresolved[]): Metadata {
  const m = children(b, 'metadata', e.address, unresolved)[0];
  if (!m) return { name: undefined, namespace: 'default', labels: undefined };
  const namespace = literal(attr(m, 'namespace')?.value) || 'default';
  return { name: literal(attr(m, 'name')?.value), namespace, labels: attr(m, 'labels')?.value };
}

/** The Service port's own endpoint expects what its `app_protocol`, else its `name`, says (../expect.ts). */
function portExpectation(e: Emit, p: Block, from: number): void {
  for (const [key, map] of [
    ['app_protocol', appProtocolService],
    ['name', portNameService],
  ] as const) {
    const a = attr(p, key);
    const v = a ? literal(a.value) : undefined;
    if (!a || v === undefined) continue;
    const service = map(v);
    const source = { file: e.file, line: a.line };
    if (service) expectSince(e.model, from, e.address, () => ({ service, source, by: `${key} ${v}` }));
    return;
  }
}

export function kubernetesService(e: Emit, b: Block, unresolved: Unresolved[]): void {
  const { name, namespace } = metadata(b, e, unresolved);
  for (const spec of children(b, 'spec', e.address, unresolved)) {
    const type = literal(attr(spec, 'type')?.value);
    const svc: Service = {
      e,
      name,
      namespace,
      external: type === 'ExternalName',
      headless: literal(attr(spec, 'cluster_ip')?.value) === 'None',
      selector: stringMap(attr(spec, 'selector')?.value),
      ports: [],
    };
    for (const p of children(spec, 'port', e.address, unresolved)) {
      const protocol = protocolOf(p);
      const port = attr(p, 'port');
      const from = e.model.endpoints.length;
      if (!svc.headless && !svc.external) listen(e, port, protocol);
      portExpectation(e, p, from);
      const written = attr(p, 'target_port') ?? port;
      if (!written || svc.external) continue;
      const v = portOf(written.value);
      const name = literal(written.value);
      const named = v === 'bad' && name !== undefined && !/^\d+$/.test(name) ? { name } : undefined;
      const target = typeof v === 'object' ? v : named;
      const source = { file: e.file, line: written.line };
      if (v === 'unknown') {
        unresolved.push({ resource: e.address, attribute: written.attribute, expression: written.expression, source });
      } else if (target === undefined) {
        const message = `${e.address}: ${written.attribute} is not a port (an integer 1–65535) or a port name`;
        e.model.problems.push({ ...source, code: 'PD_IAC_SHAPE', message });
      } else {
        svc.ports.push({ protocol, target, attr: written });
      }
    }
    of(e.model).services.push(svc);
  }
}

export function kubernetesPods(e: Emit, b: Block, unresolved: Unresolved[]): void {
  const meta = metadata(b, e, unresolved);
  const pod = e.type.startsWith('kubernetes_pod');
  const kids = (x: Block, type: string): Block[] => children(x, type, e.address, unresolved);
  const templates = pod ? [b] : kids(b, 'spec').flatMap((s) => kids(s, 'template'));
  for (const t of templates) {
    const labels = stringMap(pod ? meta.labels : metadata(t, e, unresolved).labels) ?? {};
    const w: Workload = { address: e.address, namespace: meta.namespace, labels, named: [], declared: new Set() };
    for (const s of kids(t, 'spec')) {
      for (const c of [...kids(s, 'container'), ...kids(s, 'init_container')]) {
        for (const p of children(c, 'port', e.address, unresolved)) {
          const a = attr(p, 'container_port');
          const protocol = protocolOf(p);
          const v = a ? portOf(a.value) : undefined;
          const portName = literal(attr(p, 'name')?.value);
          if (typeof v === 'object') {
            if (portName) w.named.push({ name: portName, port: v.port, protocol });
            if (w.declared.has(`${v.port}/${protocol}`)) continue;
            w.declared.add(`${v.port}/${protocol}`);
          }
          listen(e, a, protocol);
        }
      }
    }
    of(e.model).workloads.push(w);
  }
}

/**
 * After every root module is expanded: each Service gets its derived name as its host, and its
 * target ports are placed on the selected workloads (or listed as unresolved).
 */
export function placeServiceTargets(model: DeclaredModel, clusterDomain: string): void {
  const p = pending.get(model);
  if (!p) return;
  pending.delete(model);
  for (const svc of p.services) {
    const { e } = svc;
    if (svc.name !== undefined && !svc.external) {
      const host = serviceHost(svc.name, svc.namespace, clusterDomain);
      for (const r of model.resources) if (r.address === e.address) r.hosts.push(host);
    }
    const sel = svc.selector;
    const matches = (w: Workload): boolean =>
      w.namespace === svc.namespace && Object.entries(sel!).every(([k, v]) => w.labels[k] === v);
    const selected = !sel || Object.keys(sel).length === 0 ? [] : p.workloads.filter(matches);
    const onService = new Set<string>();
    for (const sp of svc.ports) {
      const placed: { port: number; origin: Origin | undefined }[] = [];
      for (const w of selected) {
        const t = sp.target;
        const named = 'name' in t ? w.named.find((x) => x.name === t.name && x.protocol === sp.protocol) : undefined;
        const target = 'port' in t ? t : named ? { port: named.port, origin: undefined } : undefined;
        if (!target) continue;
        placed.push(target);
        const key = `${target.port}/${sp.protocol}`;
        if (w.declared.has(key)) continue;
        w.declared.add(key);
        endpoint({ ...e, address: w.address }, target.port, 'listen', sp.protocol, sp.attr.line, target.origin);
      }
      // A headless Service's name resolves to the pods: the target port is what listens there.
      if (svc.headless) {
        const ports = 'port' in sp.target ? [sp.target] : placed;
        for (const t of ports) {
          if (onService.has(`${t.port}/${sp.protocol}`)) continue;
          onService.add(`${t.port}/${sp.protocol}`);
          endpoint(e, t.port, 'listen', sp.protocol, sp.attr.line, t.origin);
        }
      }
      if (placed.length === 0) {
        const { attribute, expression, line } = sp.attr;
        model.unresolved.push({ resource: e.address, attribute, expression, source: { file: e.file, line } });
      }
    }
  }
}
