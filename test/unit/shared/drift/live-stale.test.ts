// stale-rule (shared/drift/live-stale.ts) and the probe targets the live layer adds
// (live-targets.ts), pure: models built here, observations written by hand.
import { describe, expect, it } from 'vitest';
import { computeLiveDrift } from '../../../../shared/drift/live.js';
import { liveTargets, mergeTargets } from '../../../../shared/drift/live-targets.js';
import type { ConfiguredModel, DeclaredModel, LiveObject, Observation, PortState } from '../../../../shared/types.js';

const NOW = '2026-12-06T20:00:00.000Z';
const model: DeclaredModel = {
  root: '/iac',
  resources: [
    {
      address: 'aws_security_group.app',
      type: 'aws_security_group',
      source: { file: 'sg.tf', line: 1 },
      hosts: [],
      liveKeys: { name: 'app' },
    },
    {
      address: 'aws_db_instance.db',
      type: 'aws_db_instance',
      source: { file: 'db.tf', line: 1 },
      hosts: [],
      liveKeys: { identifier: 'db' },
    },
  ],
  endpoints: [
    {
      resource: 'aws_security_group.app',
      host: null,
      port: 443,
      protocol: 'tcp',
      role: 'allow',
      direction: 'ingress',
      source: { file: 'sg.tf', line: 4 },
    },
    {
      resource: 'aws_security_group.app',
      host: null,
      port: 9000,
      toPort: 9100,
      protocol: 'tcp',
      role: 'allow',
      direction: 'ingress',
      source: { file: 'sg.tf', line: 9 },
    },
    {
      resource: 'aws_db_instance.db',
      host: null,
      port: 5432,
      protocol: 'tcp',
      role: 'listen',
      source: { file: 'db.tf', line: 3 },
    },
  ],
  problems: [],
} as unknown as DeclaredModel;
const obj = (o: Partial<LiveObject> & Pick<LiveObject, 'kind' | 'id'>): LiveObject => ({
  name: o.id,
  region: 'eu-west-1',
  tags: {},
  ...o,
});
const configured: ConfiguredModel = {
  provider: 'aws',
  regions: ['eu-west-1'],
  problems: [],
  objects: [
    obj({
      kind: 'security-group',
      id: 'sg-1',
      name: 'app',
      ingress: [
        { protocol: 'tcp', port: 443, toPort: 443, sources: ['10.0.0.0/8'] },
        { protocol: 'tcp', port: 9000, toPort: 9100, sources: ['10.0.0.0/8'] },
      ],
    }),
    obj({ kind: 'instance', id: 'i-1', privateIps: ['10.9.0.1'], securityGroups: ['sg-1'] }),
    obj({ kind: 'instance', id: 'i-2', privateIps: ['10.9.0.2'], securityGroups: ['sg-1'] }),
    obj({ kind: 'instance', id: 'i-3', privateIps: ['10.9.0.3'], securityGroups: ['sg-other'] }),
    obj({ kind: 'db-instance', id: 'db', port: 5433, address: '10.9.0.4' }),
  ],
};
const seen = (host: string, port: number, state: PortState): Observation => ({
  agent: 'local',
  host,
  ip: host,
  port,
  state,
  rttMs: 1,
  at: NOW,
});
const stale = (observations: Observation[], probed = true): number[] =>
  computeLiveDrift(model, configured, { now: NOW, observations, probed })
    .findings.filter((f) => f.kind === 'stale-rule')
    .map((f) => f.port);

describe('stale-rule', () => {
  it('is reported when every host carrying the group refused the port', () => {
    expect(stale([seen('10.9.0.1', 443, 'closed'), seen('10.9.0.2', 443, 'closed')])).toEqual([443]);
  });
  it('is not reported when one host listens, one host was not observed, or a probe was filtered', () => {
    expect(stale([seen('10.9.0.1', 443, 'closed'), seen('10.9.0.2', 443, 'open')])).toEqual([]);
    expect(stale([seen('10.9.0.1', 443, 'closed')])).toEqual([]);
    expect(stale([seen('10.9.0.1', 443, 'closed'), seen('10.9.0.2', 443, 'filtered')])).toEqual([]);
  });
  it('is not judged without probing, nor for ranges wider than 16 ports', () => {
    expect(stale([seen('10.9.0.1', 443, 'closed'), seen('10.9.0.2', 443, 'closed')], false)).toEqual([]);
  });
});

describe('liveTargets', () => {
  it('probes the carriers of a matched group at its judged rule ports and a DB at both ports', () => {
    expect(liveTargets(model, configured)).toEqual([
      { host: '10.9.0.1', declared: [443], discovery: [] },
      { host: '10.9.0.2', declared: [443], discovery: [] },
      { host: '10.9.0.4', declared: [5432, 5433], discovery: [] },
    ]);
  });
  it('merges into a model host as declared ports', () => {
    const own = [{ host: '10.9.0.1', declared: [22], discovery: [443, 8080] }];
    const merged = mergeTargets(own, liveTargets(model, configured));
    expect(merged[0]).toEqual({ host: '10.9.0.1', declared: [22, 443], discovery: [8080] });
    expect(merged).toHaveLength(3);
  });
});
