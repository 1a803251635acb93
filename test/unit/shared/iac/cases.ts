// The fixture corpus and how each case is run; fixtures.test.ts compares every result WHOLE
// with test/fixtures/expected/<name>.json (regenerate with UPDATE_EXPECTED=1, then review the diff).
import { join } from 'node:path';
import type { ExtractOptions } from '../../../../shared/iac/model.js';

export const fixtures = join(import.meta.dirname, '..', '..', '..', 'fixtures');

export interface Case {
  name: string;
  paths: string[];
  options?: Partial<ExtractOptions>;
}

export const cases: Case[] = [
  { name: 'cloudformation', paths: ['cloudformation/orders.yaml', 'cloudformation/payments.json'] },
  {
    name: 'cloudformation-parameters',
    paths: ['cloudformation/orders.yaml'],
    options: { parametersFile: 'cloudformation/orders.parameters.json' },
  },
  { name: 'kubernetes', paths: ['kubernetes'] },
  { name: 'kubernetes-cluster-domain', paths: ['kubernetes/shop.yaml'], options: { clusterDomain: 'prod.example' } },
  { name: 'compose', paths: ['compose'] },
  {
    name: 'targets',
    paths: ['cloudformation/orders.yaml', 'kubernetes/shop.yaml', 'compose'],
    options: { targetsFile: 'targets/targets.yaml' },
  },
  { name: 'broken', paths: ['broken'] },
];

export function optionsFor(c: Case): ExtractOptions {
  return { stateFiles: [], varFiles: [], clusterDomain: 'cluster.local', ...c.options };
}
