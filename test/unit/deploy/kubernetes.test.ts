// The Kubernetes manifests: they parse, every pod passes the "restricted" Pod Security Standard
// (checked field by field, as admission would), the agent never listens, the sidecar shares the
// pod's network namespace with --listeners, and the collector has its Service and volume claim.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { VERSION } from '../../../shared/version.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'deploy', 'kubernetes');

type Obj = Record<string, any>;
const docs: { file: string; doc: Obj }[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return { file, doc: d.toJS() as Obj };
    }),
  );

const podSpecs = docs
  .filter(({ doc }) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(doc.kind))
  .map(({ file, doc }) => ({ file, name: doc.metadata.name as string, spec: doc.spec.template.spec as Obj }));

function allContainers(spec: Obj): Obj[] {
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
}

/** The Pod Security Standard "restricted" (v1.30), as a list of violations. */
function restrictedViolations(spec: Obj): string[] {
  const bad: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k]) bad.push(`${k} is set`);
  const allowedVolumes = new Set([
    'configMap',
    'csi',
    'downwardAPI',
    'emptyDir',
    'ephemeral',
    'persistentVolumeClaim',
    'projected',
    'secret',
  ]);
  for (const v of spec.volumes ?? []) {
    const kinds = Object.keys(v).filter((k) => k !== 'name');
    for (const k of kinds) if (!allowedVolumes.has(k)) bad.push(`volume ${v.name}: ${k} is not allowed`);
  }
  for (const c of allContainers(spec)) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) bad.push(`${where}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) bad.push(`${where}: allowPrivilegeEscalation must be false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) bad.push(`${where}: capabilities.drop must include ALL`);
    const added = (sc.capabilities?.add ?? []).filter((x: string) => x !== 'NET_BIND_SERVICE');
    if (added.length > 0) bad.push(`${where}: adds capabilities ${added.join(',')}`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) bad.push(`${where}: runAsNonRoot must be true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) bad.push(`${where}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      bad.push(`${where}: seccompProfile must be RuntimeDefault`);
    for (const p of c.ports ?? []) if (p.hostPort) bad.push(`${where}: hostPort ${p.hostPort}`);
    // Beyond "restricted", what the issue asks of every container:
    if (sc.readOnlyRootFilesystem !== true) bad.push(`${where}: readOnlyRootFilesystem must be true`);
    if (!c.resources?.limits?.memory || !c.resources?.limits?.cpu) bad.push(`${where}: needs cpu and memory limits`);
  }
  return bad;
}

describe('kubernetes manifests', () => {
  it('parse, and every object has apiVersion, kind and a namespaced name', () => {
    expect(docs.length).toBeGreaterThanOrEqual(8);
    for (const { file, doc } of docs) {
      expect(doc.apiVersion, file).toBeTruthy();
      expect(doc.kind, file).toBeTruthy();
      expect(doc.metadata?.name, file).toBeTruthy();
      if (doc.kind !== 'Namespace') expect(doc.metadata?.namespace, `${file} ${doc.kind}`).toBeTruthy();
    }
  });

  it('has the three deployment shapes the docs describe', () => {
    expect(podSpecs.map((p) => `${p.file}:${p.name}`).sort()).toEqual([
      'agent-deployment.yaml:portdrift-agent-subnet-a',
      'agent-sidecar.yaml:cart',
      'collector.yaml:portdrift-collector',
    ]);
  });

  it.each(podSpecs.map((p) => [p.file, p] as const))('%s passes the restricted pod security profile', (_file, p) => {
    expect(restrictedViolations(p.spec)).toEqual([]);
    expect(p.spec.automountServiceAccountToken).toBe(false);
  });

  it('the restricted check finds violations (it can fail)', () => {
    const spec = structuredClone(podSpecs[0]!.spec);
    spec.hostNetwork = true;
    spec.volumes = [...(spec.volumes ?? []), { name: 'h', hostPath: { path: '/' } }];
    const c = spec.containers[0];
    c.securityContext = {
      ...c.securityContext,
      allowPrivilegeEscalation: true,
      runAsNonRoot: false,
      capabilities: { add: ['NET_RAW'] },
    };
    expect(restrictedViolations(spec)).toEqual([
      'hostNetwork is set',
      'volume h: hostPath is not allowed',
      `container ${c.name}: allowPrivilegeEscalation must be false`,
      `container ${c.name}: capabilities.drop must include ALL`,
      `container ${c.name}: adds capabilities NET_RAW`,
      `container ${c.name}: runAsNonRoot must be true`,
    ]);
  });

  const agentContainers = podSpecs.flatMap((p) =>
    allContainers(p.spec)
      .filter((c) => c.args?.[0] === 'agent')
      .map((c) => ({ pod: p, c })),
  );

  it(
    'agents: the product image of this version, no ports, an ' +
      'enroll secret from a Secret file, key and spool on volumes',
    () => {
      expect(agentContainers).toHaveLength(2);
      for (const { pod, c } of agentContainers) {
        expect(c.image).toBe(`ghcr.io/portdrift/portdrift:${VERSION}`);
        expect(c.ports ?? []).toEqual([]);
        const args: string[] = c.args;
        const flag = (name: string) =>
          args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
        expect(flag('collector')[0]).toMatch(/^https?:\/\//);
        expect(flag('scope').length).toBeGreaterThan(0);
        expect(args.some((a) => a.startsWith('--token'))).toBe(false);
        expect(JSON.stringify(c.env ?? [])).not.toMatch(/PORTDRIFT_(TOKEN|ENROLL_SECRET)/);
        const secretFile = flag('enroll-secret-file')[0]!;
        const spool = flag('spool')[0]!;
        // The key lives in --state-dir, else in the spool directory.
        const keyDir = flag('state-dir')[0] ?? spool;
        const mounts: Obj[] = c.volumeMounts;
        const mountFor = (path: string) =>
          mounts.find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
        const volFor = (path: string) => pod.spec.volumes.find((v: Obj) => v.name === mountFor(path)?.name);
        const secretVol = volFor(secretFile);
        expect(secretVol?.secret?.secretName).toBeTruthy();
        // Shipped beside the workload (the same file), to be filled with an enroll secret.
        const shipped = docs.find(
          ({ file, doc }) =>
            file === pod.file && doc.kind === 'Secret' && doc.metadata.name === secretVol.secret.secretName,
        );
        expect(JSON.stringify(shipped?.doc.stringData)).toContain('ENROLL-SECRET');
        for (const dir of [spool, keyDir]) {
          const v = volFor(dir);
          expect(v?.emptyDir ?? v?.persistentVolumeClaim, dir).toBeTruthy();
        }
        for (const name of ['POD_NAME', 'POD_NAMESPACE', 'NODE_NAME']) {
          expect((c.env as Obj[]).find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath, name).toBeTruthy();
        }
      }
      // No Service selects an agent.
      const services = docs
        .filter(({ doc }) => doc.kind === 'Service')
        .map(({ doc }) => doc.spec.selector['app.kubernetes.io/name']);
      expect(services).toEqual(['portdrift-collector']);
    },
  );

  it('the sidecar is a native sidecar in the app pod, reporting its listeners', () => {
    const pod = podSpecs.find((p) => p.file === 'agent-sidecar.yaml')!;
    const sidecar = pod.spec.initContainers.find((c: Obj) => c.args?.[0] === 'agent');
    expect(sidecar.restartPolicy).toBe('Always');
    expect(sidecar.args).toContain('--listeners');
    // Each replica its own agent: the name comes from the pod, the key from one enroll secret.
    expect(sidecar.args).toContain('--name=$(POD_NAMESPACE)/$(POD_NAME)');
    // The pod's labels as a downwardAPI file, read by --pod-labels.
    const labels = sidecar.args.find((a: string) => a.startsWith('--pod-labels='))?.slice('--pod-labels='.length);
    const mount = sidecar.volumeMounts.find((m: Obj) => labels?.startsWith(`${m.mountPath}/`));
    const vol = pod.spec.volumes.find((v: Obj) => v.name === mount?.name);
    const item = vol?.downwardAPI?.items.find((i: Obj) => `${mount.mountPath}/${i.path}` === labels);
    expect(item?.fieldRef?.fieldPath).toBe('metadata.labels');
    // The key in memory for the pod's life.
    const keyDir = sidecar.args.find((a: string) => a.startsWith('--state-dir='))?.slice('--state-dir='.length);
    const keyMount = sidecar.volumeMounts.find((m: Obj) => keyDir?.startsWith(`${m.mountPath}/`));
    expect(pod.spec.volumes.find((v: Obj) => v.name === keyMount?.name)?.emptyDir?.medium).toBe('Memory');
    expect(pod.spec.containers.length).toBeGreaterThan(0);
    expect(pod.spec.hostNetwork ?? false).toBe(false);
  });

  it('the collector: Deployment + Service + PersistentVolumeClaim, database on the claim', () => {
    const pod = podSpecs.find((p) => p.name === 'portdrift-collector')!;
    const claim = docs.find(
      ({ doc }) => doc.kind === 'PersistentVolumeClaim' && doc.metadata.name === 'portdrift-collector-data',
    )!.doc;
    const vol = pod.spec.volumes.find((v: Obj) => v.persistentVolumeClaim?.claimName === claim.metadata.name);
    expect(vol).toBeTruthy();
    const c = pod.spec.containers[0];
    expect(c.args[0]).toBe('collector');
    const dataMount = c.volumeMounts.find((m: Obj) => m.name === vol.name).mountPath;
    const config = docs.find(
      ({ doc }) => doc.kind === 'ConfigMap' && doc.metadata.name === 'portdrift-collector-config',
    )!.doc;
    expect(config.data['collector.yaml']).toContain(`data: ${dataMount}/`);
    const svc = docs.find(({ doc }) => doc.kind === 'Service')!.doc;
    expect(svc.spec.ports[0].targetPort).toBe(c.ports[0].name);
    // One writer for the SQLite file: never two pods at once.
    const deployment = docs.find(
      ({ doc }) => doc.kind === 'Deployment' && doc.metadata.name === 'portdrift-collector',
    )!.doc;
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
  });

  it('the namespace enforces the restricted profile', () => {
    const ns = docs.find(({ doc }) => doc.kind === 'Namespace')!.doc;
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

describe('the collector manifest runs as shipped', () => {
  it('a collector started on exactly the config and IaC the ConfigMaps mount starts and loads its model', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { parse } = await import('yaml');
    const { collectorConfig } = await import('../../../collector/config.js');
    const { startCollector } = await import('../../../collector/daemon.js');
    const { silentLogger } = await import('../../../shared/log.js');
    const pod = podSpecs.find((p) => p.name === 'portdrift-collector')!;
    const mounts = pod.spec.containers[0].volumeMounts as Obj[];
    const root = mkdtempSync(join(tmpdir(), 'pd-k8s-collector-'));
    try {
      // Each ConfigMap volume as the kubelet lays it out (its atomic writer), under a temp root:
      // the files in a timestamped `..` directory, `..data` linking to it, and each file name a
      // link through `..data`.
      for (const v of pod.spec.volumes as Obj[]) {
        if (!v.configMap) continue;
        const cm = docs.find(({ doc }) => doc.kind === 'ConfigMap' && doc.metadata.name === v.configMap.name)!.doc;
        const at = join(root, mounts.find((m) => m.name === v.name)!.mountPath);
        const stamp = '..2026_12_03_10_00_00.123456789';
        mkdirSync(join(at, stamp), { recursive: true });
        symlinkSync(stamp, join(at, '..data'));
        for (const [file, text] of Object.entries(cm.data as Record<string, string>)) {
          writeFileSync(join(at, stamp, file), text);
          symlinkSync(join('..data', file), join(at, file));
        }
      }
      const configMount = mounts.find(
        (m) => pod.spec.volumes.find((v: Obj) => v.name === m.name)?.configMap?.name === 'portdrift-collector-config',
      )!.mountPath;
      const raw = parse(
        docs.find(({ doc }) => doc.kind === 'ConfigMap' && doc.metadata.name === 'portdrift-collector-config')!.doc
          .data['collector.yaml'],
      ) as Obj;
      const under = (p: string) => join(root, p);
      expect(configMount).toBeTruthy();
      const config = collectorConfig(undefined, {
        ...raw,
        iac: (raw.iac as string[]).map(under),
        targets: under(raw.targets),
        data: join(root, 'data', 'pd.db'),
        listen: '127.0.0.1:0',
        logLevel: 'silent',
      });
      mkdirSync(join(root, 'data'));
      const running = await startCollector(config, { cwd: root, log: silentLogger() });
      try {
        expect(running.collector.model?.model.resources.map((r) => [r.address, r.hosts])).toEqual([
          ['aws_db_instance.example', ['orders-db.internal.example']],
        ]);
        // Every file once, under its own name, and the targets file not taken for IaC.
        expect(running.collector.model?.model.endpoints.map((e) => `${e.source.file}:${e.source.line}`)).toEqual([
          'main.tf:3',
        ]);
        expect(running.collector.model?.model.problems).toEqual([]);
      } finally {
        await running.stop();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
