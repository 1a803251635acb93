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

function metadata(b: Block, e: Emit, unresolved: Unresolved[]): { name: string | undefined; namespace: string; labels: Value | undefined } {
  const m = children(b, 'metadata', e.address, unresolved)[0];
  return { name: m ? literal(attr(m, 'name')?.value) : undefined, namespace: (m && literal(attr(m, 'namespace')?.value)) || 'default', labels: m ? attr(m, 'labels')?.value : undefined };
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
      if (!svc.headless && !svc.external) listen(e, port, protocol);
      const written = attr(p, 'target_port') ?? port;
      if (!written || svc.external) continue;
      const v = portOf(written.value);
      const name = literal(written.value);
      const target = typeof v === 'object' ? v : v === 'bad' && name !== undefined && !/^\d+$/.test(name) ? { name } : undefined;
      if (v === 'unknown') unresolved.push({ resource: e.address, attribute: written.attribute, expression: written.expression, source: { file: e.file, line: written.line } });
      else if (target === undefined) e.model.problems.push({ file: e.file, line: written.line, code: 'PD_IAC_SHAPE', message: `${e.address}: ${written.attribute} is not a port (an integer 1–65535) or a port name` });
      else svc.ports.push({ protocol, target, attr: written });
    }
    of(e.model).services.push(svc);
  }
}

export function kubernetesPods(e: Emit, b: Block, unresolved: Unresolved[]): void {
  const meta = metadata(b, e, unresolved);
  const pod = e.type.startsWith('kubernetes_pod');
  const templates = pod ? [b] : children(b, 'spec', e.address, unresolved).flatMap((s) => children(s, 'template', e.address, unresolved));
  for (const t of templates) {
    const labels = stringMap(pod ? meta.labels : metadata(t, e, unresolved).labels) ?? {};
    const w: Workload = { address: e.address, namespace: meta.namespace, labels, named: [], declared: new Set() };
    for (const s of children(t, 'spec', e.address, unresolved)) {
      for (const c of [...children(s, 'container', e.address, unresolved), ...children(s, 'init_container', e.address, unresolved)]) {
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
      for (const r of model.resources) if (r.address === e.address) r.hosts.push(serviceHost(svc.name, svc.namespace, clusterDomain));
    }
    const sel = svc.selector;
    const selected = !sel || Object.keys(sel).length === 0 ? [] : p.workloads.filter((w) => w.namespace === svc.namespace && Object.entries(sel).every(([k, v]) => w.labels[k] === v));
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
      if (placed.length === 0) model.unresolved.push({ resource: e.address, attribute: sp.attr.attribute, expression: sp.attr.expression, source: { file: e.file, line: sp.attr.line } });
    }
  }
}
