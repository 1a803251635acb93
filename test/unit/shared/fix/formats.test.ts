// `fix` on what the real Kubernetes and Compose extractors record (origin / source line): each
// literal form is edited where it is written, and every value that is not a plain literal is
// refused with the reason.
import { describe, expect, it } from 'vitest';
import { planFixes } from '../../../../shared/fix/plan.js';
import { extractCompose } from '../../../../shared/iac/compose.js';
import { extractManifests } from '../../../../shared/iac/kubernetes.js';
import type { DeclaredModel } from '../../../../shared/types.js';
import { finding } from '../../../fixtures/findings.js';
import { rx } from '../../../rx.js';

const moved = (resource: string, port: number, observedPort: number) =>
  finding({ kind: 'moved', id: `f_${resource}_${port}`, resource, host: '10.0.0.1', port, observedPort, source: null });

function plan(file: string, text: string, model: DeclaredModel, resource: string, port: number, to: number) {
  expect(model.problems).toEqual([]);
  return planFixes([moved(resource, port, to)], model.endpoints, new Map([[file, text]]), model.unresolved);
}

const compose = (text: string) => extractCompose({ path: `/x/compose.yaml`, file: 'compose.yaml', text });
const k8s = (text: string) => extractManifests([{ path: '/x/k8s.yaml', file: 'k8s.yaml', text }], 'cluster.local');

/** The edited line, or the refusal reason. */
function outcome(text: string, model: DeclaredModel, file: string, resource: string, port: number, to: number): string {
  const p = plan(file, text, model, resource, port, to);
  if (p.refused.length > 0) return `refused: ${p.refused.map((r) => r.reason).join('; ')}`;
  expect(p.edits).toHaveLength(1);
  return p.edits[0]!.after.trim();
}

describe('fix on Compose', () => {
  const svc = (ports: string): string => `services:\n  web:\n    image: nginx\n${ports}`;
  const c = (ports: string, port: number, to: number): string => {
    const text = svc(ports);
    return outcome(text, compose(text), 'compose.yaml', 'compose:web', port, to);
  };

  it('edits the container part of short-syntax ports, whatever the published part and host address', () => {
    expect(c('    ports:\n      - "8080:80"\n', 80, 81)).toBe('- "8080:81"');
    expect(c('    ports:\n      - "80:80"\n', 80, 81)).toBe('- "80:81"');
    expect(c('    ports:\n      - 3000\n', 3000, 3001)).toBe('- 3001');
    expect(c("    ports:\n      - '127.0.0.1:8080:80/tcp'\n", 80, 81)).toBe("- '127.0.0.1:8080:81/tcp'");
    expect(c('    ports:\n      - "[::1]:80:80"\n', 80, 81)).toBe('- "[::1]:80:81"');
    expect(c('    ports:\n      - "${HOST_PORT:-8080}:80"\n', 80, 81)).toBe('- "${HOST_PORT:-8080}:81"');
    expect(c('    ports: ["8080:80", "9090:90"]\n', 90, 91)).toBe('ports: ["8080:80", "9090:91"]');
    expect(c('    ports:\n      - "8080:80" # was "9090:80", see: 80\n', 80, 81)).toBe(
      '- "8080:81" # was "9090:80", see: 80',
    );
  });

  it('edits the long syntax target and expose entries', () => {
    expect(c('    ports:\n      - target: 80\n        published: "80"\n', 80, 81)).toBe('- target: 81');
    expect(c('    ports:\n      - published: 8080\n        target: 80\n', 80, 8080)).toBe('target: 8080');
    expect(c('    ports:\n      - target: "80"\n        published: "80"\n', 80, 81)).toBe('- target: "81"');
    expect(c('    expose:\n      - "3000"\n', 3000, 3001)).toBe('- "3001"');
    expect(c('    expose:\n      - 3000\n', 3000, 3001)).toBe('- 3001');
    expect(c('    expose: ["3000/tcp", "4000"]\n', 4000, 4001)).toBe('expose: ["3000/tcp", "4001"]');
  });

  it('keeps CRLF line ends', () => {
    const text = 'services:\r\n  web:\r\n    ports:\r\n      - "8080:80" # web\r\n';
    const p = plan('compose.yaml', text, compose(text), 'compose:web', 80, 81);
    expect(p.changes[0]!.after).toBe('services:\r\n  web:\r\n    ports:\r\n      - "8080:81" # web\r\n');
  });

  it('refuses an interpolated container port, a range, and an ambiguous line, with the reason', () => {
    expect(c('    ports:\n      - "${PORT:-8080}"\n', 8080, 8081)).toMatch(
      rx(
        /^refused: the port of compose:web is computed by `"\$\{PORT:-8080\}"`/,
        / \(compose.yaml:5\), an expression fix cannot edit safely$/,
      ),
    );
    expect(c('    ports:\n      - "8080:${PORT:-80}"\n', 80, 81)).toMatch(
      /^refused: .*computed by `"8080:\$\{PORT:-80\}"`/,
    );
    expect(c('    ports:\n      - "9000-9002:9000-9002"\n', 9000, 9005)).toMatch(
      /^refused: port 9000 of compose:web is part of a port range/,
    );
    expect(c('    ports: ["8080:80", "9090:80/udp"]\n', 80, 81)).toMatch(
      /^refused: .*2 port specs on that line have container port 80; which one is meant is ambiguous/,
    );
  });
});

describe('fix on Kubernetes', () => {
  const deployment = (ports: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\n  namespace: shop\nspec:\n  template:\n    ` +
    `metadata:\n      labels:\n        app: cart\n    spec:\n      ` +
    `containers:\n        - name: cart\n          image: x\n${ports}`;
  const service = (ports: string, extra = '') =>
    `---\napiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n  namespace: ` +
    `shop\nspec:\n${extra}  selector:\n    app: cart\n  ports:\n${ports}`;
  const k = (text: string, resource: string, port: number, to: number): string =>
    outcome(text, k8s(text), 'k8s.yaml', resource, port, to);
  const DEP = 'k8s:Deployment/shop/cart';
  const SVC = 'k8s:Service/shop/cart';

  it('edits containerPort, Service port and a numeric targetPort literal', () => {
    expect(k(deployment('          ports:\n            - containerPort: 8080\n'), DEP, 8080, 8081)).toBe(
      '- containerPort: 8081',
    );
    expect(k(deployment('          ports:\n            - containerPort: "8080"\n'), DEP, 8080, 8081)).toBe(
      '- containerPort: "8081"',
    );
    const text = deployment('') + service('    - port: 80\n      targetPort: 8080\n');
    expect(k(text, SVC, 80, 81)).toBe('- port: 81');
    expect(k(text, DEP, 8080, 8081)).toBe('targetPort: 8081');
  });

  it('edits JSON manifests', () => {
    const text = `${JSON.stringify(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'cart', namespace: 'shop' },
        spec: {
          template: { spec: { containers: [{ name: 'cart', image: 'x', ports: [{ containerPort: 8080 }] }] } },
        },
      },
      null,
      2,
    )}\n`;
    const model = extractManifests([{ path: '/x/k8s.json', file: 'k8s.json', text }], 'cluster.local');
    expect(outcome(text, model, 'k8s.json', DEP, 8080, 8081)).toBe('"containerPort": 8081');
  });

  it('edits the containerPort a named targetPort stands for, not the name', () => {
    const text =
      deployment('          ports:\n            - name: http\n              containerPort: 8080\n') +
      service('    - port: 80\n      targetPort: http\n');
    expect(k(text, DEP, 8080, 8081)).toBe('containerPort: 8081');
  });

  it('refuses a named targetPort of a headless Service, and an implied targetPort, with the reason', () => {
    const headless =
      deployment('          ports:\n            - name: http\n              containerPort: 8080\n') +
      service('    - port: 80\n      targetPort: http\n', '  clusterIP: None\n');
    expect(k(headless, SVC, 8080, 8081)).toMatch(
      /^refused: .*`http` is a port name, not a number: edit the port where that name is declared/,
    );
    const implied = deployment('') + service('    - port: 80\n');
    expect(k(implied, DEP, 80, 81)).toMatch(
      rx(
        /^refused: .*the Service writes no targetPort, so it is the Service's own `port` \(80\)/,
        /; changing that would move the Service port as well/,
        /: add `targetPort: 81` under it/,
      ),
    );
  });
});
