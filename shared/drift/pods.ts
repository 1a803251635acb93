// Pod listeners against the IaC (docs/kubernetes.md#pod-identity): an agent in a Kubernetes pod
// (a sidecar with --listeners) reports the LISTEN sockets of its pod and who the pod is (its
// Downward-API namespace and labels). The pod is mapped to the workloads (Deployment,
// StatefulSet, DaemonSet, …) and Services of the model whose selector matches its labels in its
// namespace, and what listens is compared with the ports they declare for it — the workload's
// containerPorts (and probe ports), a Service's numeric targetPorts — as probes are compared with
// a host's declared ports: a declared port nothing listens on is `missing`, or `moved` when a
// nearby undeclared port listens instead; a listening port nothing declares is `undeclared`.
// Pure: no IO, no clock.
import { SENSITIVE_PORTS } from '../ports.js';
import type {
  DeclaredModel,
  Finding,
  Observation,
  PodIdentity,
  PodSelector,
  Resource,
  SourceLocation,
} from '../types.js';
import { findingId } from './index.js';
import { type Candidate, assignMoves } from './moves.js';
import { cutoffFor } from './observed.js';

/** One agent's pod and its latest listener view. */
export interface PodView {
  agent: string;
  pod: PodIdentity;
  /** When the agent last sent a listener view (null: never, or it does not read listeners). */
  viewAt: string | null;
  listeners: ReadonlyArray<{ ip: string; port: number; at: string }>;
}

/** Does a Kubernetes label selector select these labels? An empty selector selects nothing. */
export function selects(sel: PodSelector, namespace: string, labels: Readonly<Record<string, string>>): boolean {
  if (sel.namespace !== namespace) return false;
  const exprs = sel.matchExpressions ?? [];
  if (Object.keys(sel.matchLabels).length === 0 && exprs.length === 0) return false;
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of exprs) {
    const has = Object.hasOwn(labels, e.key);
    const ok =
      e.operator === 'In'
        ? has && e.values.includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has || !e.values.includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false; // an operator Kubernetes does not know selects nothing
    if (!ok) return false;
  }
  return true;
}

/** The resources that select pods, by namespace: a thousand pods are not each matched against all of them. */
export type PodIndex = Map<string, Resource[]>;

export function podIndex(model: DeclaredModel): PodIndex {
  const out: PodIndex = new Map();
  for (const r of model.resources) {
    if (!r.pods) continue;
    const list = out.get(r.pods.namespace);
    if (list) list.push(r);
    else out.set(r.pods.namespace, [r]);
  }
  return out;
}

/** The resources of the model that select this pod: workloads first, then Services. */
export function podResources(model: DeclaredModel, pod: PodIdentity, index = podIndex(model)): Resource[] {
  if (!pod.namespace || !pod.labels) return [];
  const hit = (index.get(pod.namespace) ?? []).filter((r) => selects(r.pods!, pod.namespace!, pod.labels!));
  return [...hit.filter((r) => r.type !== 'Service'), ...hit.filter((r) => r.type === 'Service')];
}

/** The TCP ports declared for the pod, each with the resource and line that declares it first. */
type Declared = Map<number, { resource: string; source: SourceLocation }>;

function declaredFor(model: DeclaredModel, matched: readonly Resource[]): Declared {
  const out: Declared = new Map();
  const workloads = new Set(matched.filter((r) => r.type !== 'Service').map((r) => r.address));
  for (const e of model.endpoints) {
    if (!workloads.has(e.resource) || e.role !== 'listen' || e.protocol !== 'tcp' || e.host !== null) continue;
    if (e.toPort !== undefined && e.toPort !== e.port) continue;
    if (!out.has(e.port)) out.set(e.port, { resource: e.resource, source: e.source });
  }
  for (const r of matched) {
    for (const t of r.pods?.targetPorts ?? []) {
      if (t.protocol === 'tcp' && !out.has(t.port)) out.set(t.port, { resource: r.address, source: t.source });
    }
  }
  return out;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** The pod as a finding's host: `namespace/name` (the agent's name when the pod has none). */
export function podHost(v: PodView): string {
  return `${v.pod.namespace}/${v.pod.name ?? v.agent}`;
}

export function podDrift(
  model: DeclaredModel,
  views: readonly PodView[],
  options: { now: string; freshnessMs?: number },
): Finding[] {
  const cutoff = cutoffFor(Date.parse(options.now), options.freshnessMs);
  const findings: Finding[] = [];
  const index = podIndex(model);
  // Two agents claiming one pod would make the same finding twice: the first is kept.
  const ids = new Set<string>();
  const push = (f: Finding): void => {
    if (ids.has(f.id)) return;
    ids.add(f.id);
    findings.push(f);
  };
  for (const v of views) {
    // A view that is too old says nothing (as an old observation), nor does no view at all.
    if (v.viewAt === null || (cutoff && !cutoff.fresh(v.viewAt))) continue;
    const matched = podResources(model, v.pod, index);
    if (matched.length === 0) continue;
    const declared = declaredFor(model, matched);
    const host = podHost(v);
    const where = matched.map((r) => r.address);
    // One candidate per listening port (0.0.0.0 and :: are one listener).
    const listening = new Map<number, Observation[]>();
    for (const l of v.listeners) {
      const o: Observation = { agent: v.agent, host, ip: l.ip, port: l.port, state: 'open', rttMs: null, at: l.at };
      const list = listening.get(l.port);
      if (list) list.push(o);
      else listening.set(l.port, [o]);
    }
    const closed = [...declared.keys()].filter((p) => !listening.has(p)).sort((a, b) => a - b);
    const candidates: Candidate[] = [...listening]
      .filter(([p]) => !declared.has(p))
      .sort(([a], [b]) => a - b)
      .map(([port, open]) => ({ port, service: undefined, open }));
    const moves = assignMoves(closed, candidates);
    const base = { agent: v.agent, host, firstSeen: options.now, lastSeen: options.now, ack: null };
    for (const port of closed) {
      const d = declared.get(port)!;
      const at = `${d.source.file}:${d.source.line}`;
      const cand = moves.get(port);
      if (cand) {
        push({
          ...base,
          id: findingId('moved', d.resource, host, port),
          kind: 'moved',
          severity: 'high',
          resource: d.resource,
          source: { ...d.source },
          port,
          observedPort: cand.port,
          state: 'closed',
          message: `${d.resource} declares containerPort ${port} but pod ${host} listens on ${cand.port}`,
          suggestion: `${at} port ${port} → ${cand.port}, or move the service back to ${port}`,
        });
      } else {
        push({
          ...base,
          id: findingId('missing', d.resource, host, port),
          kind: 'missing',
          severity: 'high',
          resource: d.resource,
          source: { ...d.source },
          port,
          state: 'closed',
          message: `${d.resource} declares port ${port} but nothing listens on it in pod ${host}`,
          suggestion: `start the service on port ${port} in ${host}, or remove the declaration at ${at}`,
        });
      }
    }
    const used = new Set(moves.values());
    for (const c of candidates) {
      if (used.has(c)) continue;
      // Bound to loopback only: reachable from inside the pod alone.
      const local = c.open.every((o) => LOOPBACK.test(o.ip));
      const ips = [...new Set(c.open.map((o) => o.ip))].sort().join(', ');
      push({
        ...base,
        id: findingId('undeclared', where.join(', '), host, c.port),
        kind: 'undeclared',
        severity: local ? 'low' : SENSITIVE_PORTS.has(c.port) ? 'high' : 'medium',
        resource: where.join(', '),
        source: { ...matched[0]!.source },
        port: c.port,
        state: 'open',
        message: `pod ${host} listens on ${c.port} (${ips}) but no IaC declares it for ${where.join(', ')}`,
        suggestion:
          `declare containerPort ${c.port} in ${matched[0]!.source.file}:${matched[0]!.source.line} ` +
          'if it is intended, or stop the listener',
      });
    }
  }
  return findings;
}
