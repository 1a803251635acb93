// `portdrift scan` on a host name with an IPv4 and an IPv6 address, end to end: real DNS
// resolution (glibc reads the namespace's own hosts file, /etc/netns/NAME/hosts, which
// `ip netns exec` mounts over /etc/hosts), real listeners, the real prober, inside a fresh
// network namespace where nothing else listens. Checks the multi-address rules of docs/drift.md:
//   5432  open on 127.0.0.1 only                → in sync (open on any address listens)
//   6379  closed on both, 6380 open on ::1 only → moved 6379 → 6380
//   8080  open on both                          → in sync
//   7000  DROPped on 127.0.0.1, closed on ::1   → unreachable (unknown, never missing)
//   9229  open on 127.0.0.1 only, undeclared    → one undeclared finding for the host
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { type Lab, createSoloLab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';

const skip = labSkipReason();
const repo = join(import.meta.dirname, '..', '..', '..');
const cli = join(repo, 'dist', 'cli', 'main.js');
const NAME = 'dual.test';

describe.skipIf(skip)(`scan of a dual-stack host${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let dir: string;
  let hostsDir: string;

  beforeAll(async () => {
    lab = await createSoloLab();
    hostsDir = join('/etc/netns', lab.client.name);
    mkdirSync(hostsDir, { recursive: true });
    writeFileSync(join(hostsDir, 'hosts'), `127.0.0.1 ${NAME}\n::1 ${NAME}\n`);
    lab.drop(7000, 7000, { family: 4 });
    await lab.listen(['127.0.0.1:5432', '[::1]:6380', '127.0.0.1:8080', '[::1]:8080', '127.0.0.1:9229']);
    dir = mkdtempSync(join(tmpdir(), 'pd-scan-dual-'));
    const ports = [5432, 6379, 7000, 8080].map((p) => `            - containerPort: ${p}\n`).join('');
    writeFileSync(
      join(dir, 'app.yaml'),
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: shop\nspec:\n  template:\n ` +
        `   spec:\n      containers:\n        - name: app\n          image: x\n          ports:\n${ports}`,
    );
    writeFileSync(
      join(dir, 'targets.yaml'),
      `targets:\n  - resource: "k8s:Deployment/shop/app"\n    hosts: [${NAME}]\n`,
    );
  });

  afterAll(async () => {
    await lab?.destroy();
    if (hostsDir) rmSync(hostsDir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'open on any address is in sync; closed on both with a candidate on one ' +
      'address is moved; closed + filtered is unreachable; one undeclared per host:port',
    async () => {
      const r = await lab.run(
        [
          process.execPath,
          cli,
          'scan',
          'app.yaml',
          '--targets',
          'targets.yaml',
          '--ports',
          '5400-9300',
          '--timeout',
          '500ms',
          '--format',
          'json',
        ],
        { cwd: dir, timeoutMs: 60_000 },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout) as DriftReport;
      expect(doc.summary).toEqual({
        resources: 1,
        endpoints: 4,
        observed: 4,
        findings: 3,
        byKind: { moved: 1, unreachable: 1, undeclared: 1 },
      });
      expect(doc.findings.map((f) => [f.kind, f.host, f.port, f.observedPort, f.state])).toEqual([
        ['moved', NAME, 6379, 6380, 'closed'],
        ['unreachable', NAME, 7000, undefined, 'filtered'],
        ['undeclared', NAME, 9229, undefined, 'open'],
      ]);
      expect(doc.findings[1]!.message).toBe(
        `k8s:Deployment/shop/app declares port 7000 on ${NAME} but it is closed on ` +
          `::1 and filtered on 127.0.0.1 from local, so whether it listens is unknown`,
      );
      expect(doc.findings[0]!.message).toBe(
        `k8s:Deployment/shop/app declares port 6379 but ${NAME} (::1) listens on 6380`,
      );
      expect(doc.findings[2]!.message).toBe(
        `${NAME} (127.0.0.1) listens on 9229 but no IaC declares it for k8s:Deployment/shop/app`,
      );
    },
  );
});
