// Pod listeners against the workloads that select the pod: selectors as Kubernetes reads them,
// and moved / missing / undeclared as for probes; a stale or absent view says nothing.
import { describe, expect, it } from 'vitest';
import { podDrift, podResources, selects, type PodView } from '../../../../shared/drift/pods.js';
import type { DeclaredModel, PodSelector } from '../../../../shared/types.js';

const sel = (s: Partial<PodSelector>): PodSelector => ({ namespace: 'shop', matchLabels: {}, ...s });

describe('selects', () => {
  const labels = { app: 'cart', tier: 'web' };
  it('matchLabels: every pair must be on the pod, in the same namespace', () => {
    expect(selects(sel({ matchLabels: { app: 'cart' } }), 'shop', labels)).toBe(true);
    expect(selects(sel({ matchLabels: { app: 'cart' } }), 'prod', labels)).toBe(false);
    expect(selects(sel({ matchLabels: { app: 'cart', tier: 'db' } }), 'shop', labels)).toBe(false);
  });
  it('an empty selector selects nothing', () => {
    expect(selects(sel({}), 'shop', labels)).toBe(false);
  });
  it('matchExpressions: In, NotIn, Exists, DoesNotExist; an unknown operator selects nothing', () => {
    const e = (operator: string, values: string[] = [], key = 'app') =>
      sel({ matchExpressions: [{ key, operator, values }] });
    expect(selects(e('In', ['cart', 'db']), 'shop', labels)).toBe(true);
    expect(selects(e('In', ['db']), 'shop', labels)).toBe(false);
    expect(selects(e('NotIn', ['db']), 'shop', labels)).toBe(true);
    expect(selects(e('NotIn', ['cart']), 'shop', labels)).toBe(false);
    expect(selects(e('Exists', [], 'tier'), 'shop', labels)).toBe(true);
    expect(selects(e('DoesNotExist', [], 'tier'), 'shop', labels)).toBe(false);
    expect(selects(e('Matches', ['cart']), 'shop', labels)).toBe(false);
  });
});

const model: DeclaredModel = {
  resources: [
    {
      address: 'k8s:Deployment/shop/cart',
      type: 'Deployment',
      source: { file: 'k.yaml', line: 2 },
      hosts: [],
      pods: sel({ matchLabels: { app: 'cart' } }),
    },
    {
      address: 'k8s:Deployment/shop/other',
      type: 'Deployment',
      source: { file: 'k.yaml', line: 30 },
      hosts: [],
      pods: sel({ matchLabels: { app: 'other' } }),
    },
  ],
  endpoints: [
    {
      resource: 'k8s:Deployment/shop/cart',
      host: null,
      port: 8080,
      protocol: 'tcp',
      role: 'listen',
      source: { file: 'k.yaml', line: 12 },
    },
    {
      resource: 'k8s:Deployment/shop/cart',
      host: null,
      port: 5353,
      protocol: 'udp',
      role: 'listen',
      source: { file: 'k.yaml', line: 14 },
    },
    {
      resource: 'k8s:Deployment/shop/other',
      host: null,
      port: 9000,
      protocol: 'tcp',
      role: 'listen',
      source: { file: 'k.yaml', line: 40 },
    },
  ],
  unresolved: [],
  problems: [],
};
const NOW = '2026-12-01T10:00:00.000Z';
const view = (listeners: Array<[string, number]>, viewAt: string | null = NOW): PodView => ({
  agent: 'shop/cart-1',
  pod: { name: 'cart-1', namespace: 'shop', labels: { app: 'cart' } },
  viewAt,
  listeners: listeners.map(([ip, port]) => ({ ip, port, at: NOW })),
});

describe('podDrift', () => {
  it('maps the pod to the workload whose selector matches, not another', () => {
    expect(podResources(model, view([]).pod).map((r) => r.address)).toEqual(['k8s:Deployment/shop/cart']);
  });

  it('in sync: nothing (a UDP port is not compared with TCP listeners)', () => {
    expect(
      podDrift(
        model,
        [
          view([
            ['0.0.0.0', 8080],
            ['::', 8080],
          ]),
        ],
        { now: NOW },
      ),
    ).toEqual([]);
  });

  it('moved to a neighbour, else missing; an extra listener is undeclared, low on loopback only', () => {
    const moved = podDrift(
      model,
      [
        view([
          ['0.0.0.0', 8081],
          ['::1', 6060],
        ]),
      ],
      { now: NOW },
    );
    expect(moved.map((f) => [f.kind, f.port, f.observedPort, f.severity, f.source?.line])).toEqual([
      ['moved', 8080, 8081, 'high', 12],
      ['undeclared', 6060, undefined, 'low', 2],
    ]);
    const missing = podDrift(model, [view([['0.0.0.0', 22]])], { now: NOW });
    expect(missing.map((f) => [f.kind, f.port, f.severity])).toEqual([
      ['missing', 8080, 'high'],
      ['undeclared', 22, 'high'],
    ]);
    expect(missing[0]!.host).toBe('shop/cart-1');
  });

  it('no view, or a view older than the freshness window: nothing', () => {
    expect(podDrift(model, [view([], null)], { now: NOW })).toEqual([]);
    const old = view([], '2026-12-01T09:00:00.000Z');
    expect(podDrift(model, [old], { now: NOW, freshnessMs: 15 * 60_000 })).toEqual([]);
    expect(podDrift(model, [old], { now: NOW }).map((f) => f.kind)).toEqual(['missing']);
  });
});

describe('podDrift with several agents', () => {
  it('two agents claiming one pod make each finding once', () => {
    const a = view([['0.0.0.0', 22]]);
    const b = { ...view([['0.0.0.0', 22]]), agent: 'shop/impostor' };
    const found = podDrift(model, [a, b], { now: NOW });
    expect(found.map((f) => [f.kind, f.port, f.agent])).toEqual([
      ['missing', 8080, 'shop/cart-1'],
      ['undeclared', 22, 'shop/cart-1'],
    ]);
    expect(new Set(found.map((f) => f.id)).size).toBe(found.length);
  });
});
