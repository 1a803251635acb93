import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitCommit } from '../../../../collector/lifecycle/model.js';
import { driftObservations, specRuns } from '../../../../collector/lifecycle/observations.js';
import { planFor, planTargets } from '../../../../collector/lifecycle/plan.js';
import type { DeclaredModel } from '../../../../shared/types.js';

const model: DeclaredModel = {
  resources: [
    { address: 'db', type: 't', source: { file: 'a.tf', line: 1 }, hosts: ['10.0.0.5'] },
    { address: 'web', type: 't', source: { file: 'a.tf', line: 5 }, hosts: ['web.internal', '192.168.1.9'] },
  ],
  endpoints: [
    {
      resource: 'db',
      host: '10.0.0.5',
      port: 5432,
      protocol: 'tcp',
      role: 'listen',
      source: { file: 'a.tf', line: 2 },
    },
    {
      resource: 'web',
      host: 'web.internal',
      port: 8080,
      protocol: 'tcp',
      role: 'listen',
      source: { file: 'a.tf', line: 6 },
    },
    {
      resource: 'web',
      host: '192.168.1.9',
      port: 8080,
      protocol: 'tcp',
      role: 'allow',
      source: { file: 'a.tf', line: 7 },
    },
  ],
  unresolved: [],
  problems: [],
};

describe('plans', () => {
  it("keeps an IP-literal host inside the agent's scope and its token's; special ranges are the agent's rule", () => {
    const targets = ['10.1.0.5', '10.2.0.5', '169.254.169.254', 'db.internal'].map((host) => ({
      host,
      declared: [5432],
      discovery: '',
      resources: ['r'],
    }));
    const hosts = (scope: string[], token: string[] | null) =>
      planFor('a', targets, scope, 1000, token).targets.map((t) => t.host);
    expect(hosts([], ['10.1.0.0/16'])).toEqual(['10.1.0.5', 'db.internal']);
    expect(hosts(['10.0.0.0/8'], ['10.1.0.0/16'])).toEqual(['10.1.0.5', 'db.internal']);
    expect(hosts(['10.2.0.0/16'], ['10.1.0.0/16'])).toEqual(['db.internal']);
    // An unrestricted token adds no rule of its own: an agent listing the metadata address gets it.
    expect(hosts(['169.254.169.254/32'], ['0.0.0.0/0', '::/0'])).toEqual(['169.254.169.254', 'db.internal']);
    expect(hosts([], null)).toEqual(['10.1.0.5', '10.2.0.5', '169.254.169.254', 'db.internal']);
  });

  it(
    'declared listen ports first, discovery = base ∪ ±N without ' +
      'the declared port, and hosts known only from resources',
    () => {
      const t = planTargets(model, { intervalMs: 1000, discovery: '22', neighbourhood: 2 });
      expect(t).toEqual([
        { host: '10.0.0.5', declared: [5432], discovery: '22,5430-5431,5433-5434', resources: ['db'] },
        { host: '192.168.1.9', declared: [], discovery: '22', resources: ['web'] },
        { host: 'web.internal', declared: [8080], discovery: '22,8078-8079,8081-8082', resources: ['web'] },
      ]);
    },
  );

  it(
    "carries each declared port's expected service (the " +
      "first endpoint's), not a range's, and changes the revision",
    () => {
      const by = { source: { file: 'a.tf', line: 3 }, by: 'engine "postgres"' };
      const e = (port: number, service: 'postgres' | 'redis', toPort?: number) => ({
        resource: 'db',
        host: '10.0.0.5',
        port,
        protocol: 'tcp' as const,
        role: 'listen' as const,
        source: { file: 'a.tf', line: 2 },
        expect: { service, ...by },
        ...(toPort ? { toPort } : {}),
      });
      const m: DeclaredModel = {
        ...model,
        endpoints: [e(6379, 'redis'), e(5432, 'postgres'), e(5432, 'redis'), e(7000, 'redis', 7010)],
      };
      const [t] = planTargets(m, { intervalMs: 1000, discovery: '', neighbourhood: 0 });
      expect(t!.expect).toEqual({ 5432: 'postgres', 6379: 'redis' });
      expect(Object.keys(t!.expect!)).toEqual(['5432', '6379']);
      const plain = planTargets(model, { intervalMs: 1000, discovery: '', neighbourhood: 0 });
      expect(plain[0]!.expect).toBeUndefined();
      expect(planFor('a', [t!], [], 1000).revision).not.toBe(
        planFor('a', [{ ...t!, expect: { 5432: 'redis' } }], [], 1000).revision,
      );
    },
  );

  it('scope keeps IP hosts inside the CIDRs and every DNS name (the agent checks what it resolves)', () => {
    const t = planTargets(model, { intervalMs: 1000, discovery: '', neighbourhood: 0 });
    const p = planFor('a1', t, ['10.0.0.0/8'], 1000);
    expect(p.targets.map((x) => x.host)).toEqual(['10.0.0.5', 'web.internal']);
    expect(planFor('a1', t, ['10.0.0.0/8'], 1000).revision).toBe(p.revision);
    expect(planFor('a1', t, ['192.168.0.0/16'], 1000).revision).not.toBe(p.revision);
    // The token's scope travels with the plan and is part of its revision (a re-scoped token
    // must not be answered 304 with the old scope).
    expect(planFor('a1', t, ['10.0.0.0/8'], 1000).tokenScope).toBeNull();
    const scoped = planFor('a1', t, ['10.0.0.0/8'], 1000, ['10.0.0.0/8']);
    expect(scoped.tokenScope).toEqual(['10.0.0.0/8']);
    expect(scoped.revision).not.toBe(p.revision);
    expect(planFor('a1', t, ['10.0.0.0/8'], 1000, ['10.0.0.0/9']).revision).not.toBe(scoped.revision);
  });

  it(
    'carries the check interval when it is on, in the revision ' +
      'too; without it the plan reads and hashes as before',
    () => {
      const t = planTargets(model, { intervalMs: 1000, discovery: '', neighbourhood: 0 });
      const off = planFor('a1', t, ['10.0.0.0/8'], 1000, null, 0);
      expect(off).not.toHaveProperty('checkIntervalMs');
      expect(off.revision).toBe(planFor('a1', t, ['10.0.0.0/8'], 1000).revision);
      const on = planFor('a1', t, ['10.0.0.0/8'], 1000, null, 15_000);
      expect(on.checkIntervalMs).toBe(15_000);
      expect(on.revision).not.toBe(off.revision);
    },
  );
});

describe('closed results from sweeps', () => {
  it('materialises closed only for declared ports, never over a newer stored result', () => {
    expect(specRuns('1-21,23,25-79')).toEqual([
      [1, 21],
      [23, 23],
      [25, 79],
    ]);
    const sweeps = [
      { agent: 'a', host: '10.0.0.5', ip: '10.0.0.5', ports: '1-65535', closed: '1-5431,5433-65535', at: 'T' },
      { agent: 'a', host: 'web.internal', ip: '10.1.1.1', ports: '8080', closed: '8080', at: 'T' },
    ].map((s) => ({ ...s, error: null }));
    const obs = driftObservations(
      model,
      [{ agent: 'a', host: '10.0.0.5', ip: '10.0.0.5', port: 5432, state: 'open', rttMs: 1, at: 'T' }],
      sweeps,
    );
    expect(obs.map((o) => `${o.host}:${o.port}:${o.state}`)).toEqual([
      '10.0.0.5:5432:open',
      'web.internal:8080:closed',
    ]);
  });
});

describe('gitCommit', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('reads HEAD → ref, packed refs, and returns null outside a checkout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-git-'));
    expect(await gitCommit(dir)).toBeNull();
    const git = (...a: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: dir!, encoding: 'utf8' }).trim();
    git('init', '-q');
    expect(await gitCommit(dir)).toBeNull(); // unborn branch
    writeFileSync(join(dir, 'a.tf'), 'x');
    git('add', 'a.tf');
    git('commit', '-qm', 'one');
    const sha = git('rev-parse', 'HEAD');
    mkdirSync(join(dir, 'sub'));
    expect(await gitCommit(join(dir, 'sub'))).toBe(sha);
    git('pack-refs', '--all');
    expect(await gitCommit(dir)).toBe(sha);
  });
});
