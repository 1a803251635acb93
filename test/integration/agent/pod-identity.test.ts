// A sidecar's pod identity end to end: an agent with --listeners in the lab's server namespace
// (the "pod": nothing listens there but what the test starts), its pod from the Downward-API
// env and a labels file (--pod-labels), a collector in the client namespace whose IaC is a
// Kubernetes Deployment selecting those labels. The service moves from its declared
// containerPort to another: `portdrift drift` shows `moved` with the manifest's line; moved back,
// the finding resolves.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab, type Listener } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import {
  clientAddress,
  createToken,
  killAll,
  portdrift,
  short,
  startCollector,
  waitForDrift,
  type Collector,
  type Proc,
} from './harness.js';

const skip = labSkipReason();

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata: { name: cart, namespace: shop }
spec:
  selector:
    matchLabels: { app.kubernetes.io/name: cart }
  template:
    metadata:
      labels: { app.kubernetes.io/name: cart }
    spec:
      containers:
        - name: cart
          image: cart:1
          ports:
            - { name: http, containerPort: 8080 }
`;
const PORT_LINE = MANIFEST.split('\n').findIndex((l) => l.includes('containerPort: 8080')) + 1;

describe.skipIf(skip)(`agent pod identity${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let collector: Collector;
  let agent: Proc;
  let reader: string;
  let moved: Listener;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-agent-pod-'));
    lab = await createLab({ hosts: 1 });
    const data = join(dir, 'pd.db');
    writeFileSync(join(dir, 'cart.yaml'), MANIFEST);
    // The kubelet's labels file: key="value", one a line.
    writeFileSync(join(dir, 'labels'), 'app.kubernetes.io/name="cart"\npod-template-hash="7d9f5c"\n');
    moved = await lab.server.listen(['10.231.0.1:8081']);
    const token = createToken(data, 'agent', 'shop/cart-1', '127.0.0.0/8');
    reader = createToken(data, 'reader', 'tests');
    collector = await startCollector(lab.client, clientAddress(lab.client), [
      '--iac',
      join(dir, 'cart.yaml'),
      '--data',
      data,
      '--interval',
      '1s',
      '--cycles',
      '1',
      '--debounce',
      '100ms',
      '--freshness',
      '30s',
    ]);
    const env = {
      PORTDRIFT_TOKEN: token,
      POD_NAME: 'cart-1',
      POD_NAMESPACE: 'shop',
      POD_IP: '10.231.0.1',
      NODE_NAME: 'n1',
    };
    agent = portdrift(
      'sidecar',
      lab.server,
      [
        'agent',
        '--collector',
        collector.url,
        '--scope',
        '127.0.0.0/8',
        '--interval',
        '500ms',
        '--min-interval',
        '500ms',
        '--listeners',
        '--pod-labels',
        join(dir, 'labels'),
      ],
      env,
    );
  }, 30_000);

  afterAll(async () => {
    await killAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the service moved in the pod: moved on the Deployment's containerPort line, then resolved", async () => {
    const d = await waitForDrift(
      lab.client,
      collector.url,
      reader,
      'moved',
      (x) => x.findings.some((f) => f.kind === 'moved'),
      30_000,
    );
    expect(d.findings.map(short)).toEqual(['moved k8s:Deployment/shop/cart shop/cart-1:8080→8081 by shop/cart-1']);
    expect(d.findings[0]!.source).toEqual({ file: expect.stringMatching(/cart\.yaml$/), line: PORT_LINE });

    await moved.stop();
    const back = await lab.server.listen(['10.231.0.1:8080']);
    try {
      await waitForDrift(lab.client, collector.url, reader, 'no findings', (x) => x.findings.length === 0, 30_000);
    } finally {
      await back.stop();
    }
    expect(agent.exit).toBeNull();
  }, 90_000);
});
