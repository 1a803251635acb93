// The shipped Kubernetes manifests run as shipped: each agent container of deploy/kubernetes/ is
// started as the kubelet would start it — exactly its args (with $(VAR) expanded from its env),
// its env (Downward-API fieldRefs filled from the pod), its volume mounts laid out under a temp
// root (Secret keys written to files, emptyDirs and claims as directories, the downwardAPI labels
// file as the kubelet writes it) — as a real child process of dist/cli/main.js on loopback.
// Two replicas of the sidecar and one per-subnet Deployment agent enroll with one enroll secret
// against a real collector: every batch accepted, three distinct agents, no 403. Only the
// collector URL is replaced (the cluster DNS name of the Service), and the pod IPs are loopback.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MAIN, ROOT, killAll, Proc, requireBuild } from '../agent/harness.js';
import { type FleetCollector, refusals, startFleetCollector, waitForAgents } from './fleet-harness.js';

type Obj = Record<string, any>;
const DIR = join(ROOT, 'deploy', 'kubernetes');
const docsOf = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => d.toJS() as Obj);

/** What the API server and kubelet know of one pod. */
interface Pod {
  name: string;
  namespace: string;
  ip?: string;
  node: string;
  labels: Record<string, string>;
}

function fieldOf(pod: Pod, path: string): string {
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'status.podIP': pod.ip,
    'spec.nodeName': pod.node,
  };
  const v = fields[path];
  if (v === undefined) throw new Error(`the test cannot fill fieldRef ${path}`);
  return v;
}

/** The kubelet's labels file: `key="value"`, one a line, sorted by key. */
const labelsFile = (labels: Record<string, string>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}\n`)
    .join('');

/**
 * The agent container of `file`'s workload as a process: its env, args and mounts under `root`.
 * `secret`: the value of every shipped Secret key (the placeholder stands for it).
 */
function launch(file: string, pod: Pod, root: string, collectorUrl: string, secret: string): Proc {
  const docs = docsOf(file);
  const workload = docs.find((d) => d.kind === 'Deployment')!;
  const spec = workload.spec.template.spec as Obj;
  const c = [...(spec.initContainers ?? []), ...spec.containers].find((x: Obj) => x.args?.[0] === 'agent') as Obj;
  expect(c, `${file}: an agent container`).toBeTruthy();

  const env: Record<string, string> = {};
  for (const e of (c.env ?? []) as Obj[]) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.fieldRef) env[e.name] = fieldOf(pod, e.valueFrom.fieldRef.fieldPath);
    else throw new Error(`${file}: env ${e.name}: the test knows value and fieldRef only`);
  }

  const mounts = (c.volumeMounts ?? []) as Obj[];
  for (const m of mounts) {
    const v = (spec.volumes as Obj[]).find((x) => x.name === m.name);
    if (!v) throw new Error(`${file}: mount ${m.name} has no volume`);
    const at = join(root, m.mountPath);
    mkdirSync(at, { recursive: true });
    if (v.emptyDir || v.persistentVolumeClaim) {
      chmodSync(at, 0o777); // an emptyDir is world-writable; the agent makes its own directories private
    } else if (v.secret) {
      const s = docs.find((d) => d.kind === 'Secret' && d.metadata.name === v.secret.secretName);
      if (!s) throw new Error(`${file}: volume ${v.name}: Secret ${v.secret.secretName} is not shipped beside it`);
      expect(s.metadata.namespace, `${file}: the Secret lives in the pod's namespace`).toBe(
        workload.metadata.namespace,
      );
      for (const key of Object.keys(s.stringData ?? s.data ?? {})) {
        writeFileSync(join(at, key), `${secret}\n`, { mode: v.secret.defaultMode ?? 0o644 });
      }
    } else if (v.downwardAPI) {
      for (const item of v.downwardAPI.items as Obj[]) {
        const path = item.fieldRef?.fieldPath;
        const text = path === 'metadata.labels' ? labelsFile(pod.labels) : `${fieldOf(pod, path)}`;
        writeFileSync(join(at, item.path), text);
      }
    } else {
      throw new Error(`${file}: volume ${v.name}: a kind the test does not lay out`);
    }
  }

  // $(VAR) from the container's env (Kubernetes leaves unknown references as written), a path
  // under a mount moved under the temp root, the collector's cluster URL replaced by the test's.
  const args = (c.args as string[]).map((a) => {
    let x = a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string) => env[name] ?? all);
    const eq = x.indexOf('=');
    const [flag, value] = eq === -1 ? [x, null] : [x.slice(0, eq), x.slice(eq + 1)];
    if (flag === '--collector') return `--collector=${collectorUrl}`;
    if (value !== null) {
      const m = mounts.find((mm) => value === mm.mountPath || value.startsWith(`${mm.mountPath}/`));
      if (m) x = `${flag}=${join(root, value)}`;
    }
    return x;
  });
  return new Proc(`${file} ${pod.name}`, null, [MAIN, ...args], env);
}

describe('deploy/kubernetes agents run as shipped', () => {
  let c: FleetCollector;
  const root = () => c.dir;

  beforeAll(async () => {
    requireBuild();
    for (const k of Object.keys(process.env)) if (/^(POD_|NODE_NAME$|PORTDRIFT_)/.test(k)) delete process.env[k];
    // The collector compares against the sidecar's own app (the cart Deployment). The enroll
    // secret covers what the manifests ask: the pods' loopback and IPs, and subnet-a.
    c = await startFleetCollector({ 'agent-sidecar.yaml': readFileSync(join(DIR, 'agent-sidecar.yaml'), 'utf8') }, [
      '127.0.0.0/8',
      '10.0.1.0/24',
    ]);
  }, 30_000);

  afterAll(async () => {
    await killAll();
    if (c) rmSync(c.dir, { recursive: true, force: true });
  });

  it('two sidecar replicas and one subnet agent enroll, every batch is accepted, three agents listed', async () => {
    const cart = docsOf('agent-sidecar.yaml').find((d) => d.kind === 'Deployment')!;
    const subnet = docsOf('agent-deployment.yaml').find((d) => d.kind === 'Deployment')!;
    expect(cart.spec.replicas).toBe(2);
    const podOf = (d: Obj, name: string, ip?: string): Pod => ({
      name,
      namespace: d.metadata.namespace,
      node: 'node-1',
      labels: { ...d.spec.template.metadata.labels, 'pod-template-hash': '7d9f5c' },
      ...(ip ? { ip } : {}),
    });
    const pods = [
      { file: 'agent-sidecar.yaml', pod: podOf(cart, 'cart-7d9f5c-abcde', '127.0.0.2') },
      { file: 'agent-sidecar.yaml', pod: podOf(cart, 'cart-7d9f5c-fghij', '127.0.0.3') },
      { file: 'agent-deployment.yaml', pod: podOf(subnet, 'portdrift-agent-subnet-a-5f6b7-xyz12') },
    ];
    const procs = pods.map(({ file, pod }) => launch(file, pod, join(root(), 'pods', pod.name), c.url, c.secret));
    const names = ['shop/cart-7d9f5c-abcde', 'shop/cart-7d9f5c-fghij', 'subnet-a'];
    const rows = await waitForAgents(c, names, procs);

    expect(rows.map((r) => r.name).sort()).toEqual(names);
    for (const p of procs) expect(refusals(p), p.label).toEqual([]);
    for (const r of rows) {
      expect(r.enrolledBy, r.name).toMatch(/^tok_/);
      expect(r.spoolDropped, r.name).toBe(0);
    }
    // Each pod said who it is; the sidecars map to the cart Deployment of the IaC by their labels.
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(by['shop/cart-7d9f5c-abcde']!.pod).toEqual({
      name: 'cart-7d9f5c-abcde',
      namespace: 'shop',
      ip: '127.0.0.2',
      node: 'node-1',
      labels: { 'app.kubernetes.io/name': 'cart', 'pod-template-hash': '7d9f5c' },
    });
    expect(by['shop/cart-7d9f5c-abcde']!.workloads).toEqual(['k8s:Deployment/shop/cart']);
    expect(by['shop/cart-7d9f5c-fghij']!.workloads).toEqual(['k8s:Deployment/shop/cart']);
    expect(by['subnet-a']!.pod).toMatchObject({ namespace: 'portdrift', node: 'node-1' });
    // The collector evaluated the sidecars' listeners against the cart Deployment without a fault.
    await new Promise((r) => setTimeout(r, 500));
    expect(
      c.proc
        .logs()
        .filter((l) => (l.level ?? 0) >= 50)
        .map((l) => l.msg),
    ).toEqual([]);
  }, 60_000);
});
