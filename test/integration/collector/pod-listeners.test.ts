// Pod identity on the collector: agents in pods send their pod (namespace, name, labels) and
// their pod's LISTEN sockets; the collector maps each pod to the Kubernetes workload / Service of
// the IaC whose selector matches its labels and compares. Real collector (HTTP on loopback, a
// real SQLite file), batches posted over HTTP as an agent sends them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorConfig } from '../../../collector/config.js';
import { startCollector, type RunningCollector } from '../../../collector/daemon.js';
import { silentLogger } from '../../../shared/log.js';
import { get, post } from './harness.js';

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: { name: cart, namespace: shop }
spec:
  selector:
    matchLabels: { app: cart }
  template:
    metadata:
      labels: { app: cart, tier: web }
    spec:
      containers:
        - name: cart
          image: cart:1
          ports:
            - name: http
              containerPort: 8080
            - name: metrics
              containerPort: 9090
---
apiVersion: v1
kind: Service
metadata: { name: cart, namespace: shop }
spec:
  selector: { app: cart }
  ports:
    - { name: http, port: 80, targetPort: http }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: shop }
spec:
  selector:
    matchExpressions:
      - { key: app, operator: In, values: [db, database] }
  template:
    metadata:
      labels: { app: db }
    spec:
      containers:
        - name: postgres
          image: postgres:16
          ports:
            - containerPort: 5432
---
apiVersion: v1
kind: Service
metadata: { name: legacy, namespace: shop }
spec:
  selector: { app: legacy }
  ports:
    - port: 7000
      targetPort: 7000
`;

const lineOf = (text: string): number => MANIFESTS.split('\n').findIndex((l) => l.includes(text)) + 1;

interface PodSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

function batch(id: string, agent: string, pod: PodSpec | unknown, listeners: Array<[string, number]>): string {
  const at = new Date().toISOString();
  const header = {
    t: 'batch',
    v: 1,
    batchId: id,
    agent,
    agentVersion: '0.1.0',
    planRevision: null,
    startedAt: at,
    finishedAt: at,
    spoolDropped: 0,
    spoolDepth: 0,
    listenerView: true,
    pod,
  };
  const lines = [header, ...listeners.map(([ip, port]) => ({ t: 'listener', ip, port, at }))];
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}

interface FindingRow {
  kind: string;
  resource: string;
  host: string;
  port: number;
  observedPort?: number;
  severity: string;
  source: { file: string; line: number } | null;
  agent: string;
  message: string;
}

describe("pod identity: a sidecar's listeners against the workload whose selector matches its pod", () => {
  let dir: string;
  let file: string;
  let running: RunningCollector;
  let url: string;
  let reader: string;
  const tokens: Record<string, string> = {};

  const send = async (agent: string, id: string, pod: unknown, listeners: Array<[string, number]>) => {
    const body = batch(id, agent, pod, listeners);
    return post(url, '/v1/observations', tokens[agent]!, body, {
      'content-type': 'application/x-ndjson',
      'idempotency-key': id,
    });
  };
  // The Services' own ports (on their cluster DNS names) are unobserved here: no agent probes them.
  const findings = async (): Promise<FindingRow[]> =>
    ((await (await get(url, '/v1/findings', reader)).json()).findings as FindingRow[]).filter(
      (f) => f.kind !== 'unobserved',
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-pods-'));
    file = join(dir, 'shop.yaml');
    writeFileSync(file, MANIFESTS);
    const config = collectorConfig(undefined, {
      iac: [file],
      data: join(dir, 'pd.db'),
      listen: '127.0.0.1:0',
      debounce: '10ms',
      logLevel: 'silent',
      cycles: 1,
    });
    running = await startCollector(config, { cwd: dir, log: silentLogger() });
    url = running.url;
    const now = new Date().toISOString();
    reader = (await running.store.createToken({ name: 'ops', role: 'reader', now })).token;
    for (const a of ['shop/cart-7d9f-x2', 'shop/db-0', 'shop/legacy-1', 'shop/other-1']) {
      tokens[a] = (await running.store.createToken({ name: a, role: 'agent', now })).token;
    }
  });
  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports moved, missing and undeclared with the manifest line, and nothing for a pod in sync', async () => {
    const cart = {
      name: 'cart-7d9f-x2',
      namespace: 'shop',
      labels: { app: 'cart', tier: 'web', 'pod-template-hash': '7d9f' },
    };
    // 8080 moved to 8081; 9090 as declared (on IPv4 and IPv6); a debug port on loopback only.
    const r1 = await send('shop/cart-7d9f-x2', 'c-1', cart, [
      ['0.0.0.0', 8081],
      ['0.0.0.0', 9090],
      ['::', 9090],
      ['127.0.0.1', 6060],
    ]);
    expect(r1.status, await r1.clone().text()).toBe(200);
    // The database listens on nothing (its view is empty): 5432 is missing.
    const db = { name: 'db-0', namespace: 'shop', labels: { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-0' } };
    expect((await send('shop/db-0', 'd-1', db, [])).status).toBe(200);
    // No workload in the IaC, but a Service selects the pod: its targetPort is declared.
    const legacy = { name: 'legacy-1', namespace: 'shop', labels: { app: 'legacy' } };
    expect((await send('shop/legacy-1', 'l-1', legacy, [['0.0.0.0', 7000]])).status).toBe(200);
    // Labels that nothing in its namespace selects (the same labels in another namespace).
    const other = { name: 'other-1', namespace: 'prod', labels: { app: 'cart' } };
    expect((await send('shop/other-1', 'o-1', other, [['0.0.0.0', 1234]])).status).toBe(200);
    await running.collector.idle();
    await running.collector.evaluateNow();

    const all = await findings();
    const mine = all.map((f) => ({
      kind: f.kind,
      resource: f.resource,
      host: f.host,
      port: f.port,
      observedPort: f.observedPort,
      severity: f.severity,
      line: f.source?.line,
      file: f.source?.file,
    }));
    const file = 'shop.yaml'; // relative to the collector's working directory, as every finding's source
    expect(mine).toEqual(
      expect.arrayContaining([
        {
          kind: 'moved',
          resource: 'k8s:Deployment/shop/cart',
          host: 'shop/cart-7d9f-x2',
          port: 8080,
          observedPort: 8081,
          severity: 'high',
          line: lineOf('containerPort: 8080'),
          file,
        },
        {
          kind: 'missing',
          resource: 'k8s:StatefulSet/shop/db',
          host: 'shop/db-0',
          port: 5432,
          observedPort: undefined,
          severity: 'high',
          line: lineOf('containerPort: 5432'),
          file,
        },
        {
          kind: 'undeclared',
          resource: 'k8s:Deployment/shop/cart, k8s:Service/shop/cart',
          host: 'shop/cart-7d9f-x2',
          port: 6060,
          observedPort: undefined,
          severity: 'low',
          line: lineOf('kind: Deployment'),
          file,
        },
      ]),
    );
    expect(all).toHaveLength(3);
    const moved = all.find((f) => f.kind === 'moved')!;
    expect(moved.agent).toBe('shop/cart-7d9f-x2');
    expect(moved.message).toContain('declares containerPort 8080 but pod shop/cart-7d9f-x2 listens on 8081');

    // The agents list says which IaC resources each pod maps to.
    const agents = (await (await get(url, '/v1/agents', reader)).json()).agents as Array<{
      name: string;
      workloads: string[];
      pod: unknown;
    }>;
    const by = Object.fromEntries(agents.map((a) => [a.name, a]));
    expect(by['shop/cart-7d9f-x2']!.workloads).toEqual(['k8s:Deployment/shop/cart', 'k8s:Service/shop/cart']);
    expect(by['shop/db-0']!.workloads).toEqual(['k8s:StatefulSet/shop/db']);
    expect(by['shop/legacy-1']!.workloads).toEqual(['k8s:Service/shop/legacy']);
    expect(by['shop/other-1']!.workloads).toEqual([]);
    expect(by['shop/db-0']!.pod).toEqual(db);
  });

  it('resolves once the pod listens as declared, and keeps the pod of earlier batches', async () => {
    // Later batches need not repeat the pod: the collector keeps the latest one it was told.
    expect(
      (
        await send('shop/cart-7d9f-x2', 'c-2', undefined, [
          ['0.0.0.0', 8080],
          ['0.0.0.0', 9090],
        ])
      ).status,
    ).toBe(200);
    expect((await send('shop/db-0', 'd-2', undefined, [['::', 5432]])).status).toBe(200);
    await running.collector.idle();
    await running.collector.evaluateNow();
    expect(await findings()).toEqual([]);
  });

  it('refuses a batch whose pod is garbage, naming the field', async () => {
    const bad = { name: 'cart-1', namespace: 'shop', labels: { app: 'cart\u0007' } };
    const r = await send('shop/cart-7d9f-x2', 'c-3', bad, []);
    expect(r.status).toBe(400);
    const { error } = await r.json();
    expect(error.code).toBe('PD_WIRE_INVALID');
    expect(error.message).toMatch(/^line 1: pod\.labels\."app": not a Kubernetes label value/);
    const r2 = await send('shop/cart-7d9f-x2', 'c-4', { name: 'x', namespace: 'shop', uid: 'u' }, []);
    expect(r2.status).toBe(400);
    expect((await r2.json()).error.message).toContain('pod.uid: unknown field');
  });
});
