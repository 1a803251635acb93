// deploy/aws/portdrift-readonly.json must grant every AWS API operation the live readers call,
// and nothing else: the operations are read from the code itself (each SDK paginator and
// Command class used in shared/live/aws, with the IAM prefix of the client package it comes
// from), so a new read without its IAM action fails here, not in someone's account.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS_ACTIONS } from '../../../shared/live/aws/index.js';
import { S3_STATE_ACTIONS } from '../../../shared/live/aws/s3-state.js';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = join(root, 'shared', 'live', 'aws');

const IAM_PREFIX: Record<string, string> = {
  ec2: 'ec2',
  rds: 'rds',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  elasticache: 'elasticache',
  ecs: 'ecs',
  cloudtrail: 'cloudtrail',
  s3: 's3',
  sts: 'sts',
};
/** API operations whose IAM action has another name. */
const IAM_ACTION: Record<string, string> = { 's3:ListObjectsV2': 's3:ListBucket' };

function calledActions(): string[] {
  const out = new Set<string>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    const clients = [...text.matchAll(/from '@aws-sdk\/client-([a-z0-9-]+)'/g)].map((m) => m[1]!);
    const paginators = [...text.matchAll(/\bpaginate([A-Z]\w+)\b/g)];
    const ops = [...paginators, ...text.matchAll(/\b([A-Z]\w+)Command\b/g)].map((m) => m[1]!);
    if (ops.length === 0) continue;
    expect(clients, `${name} calls ${ops.join(', ')} but imports no client package, or several`).toHaveLength(1);
    const prefix = IAM_PREFIX[clients[0]!];
    expect(prefix, `no IAM prefix known for @aws-sdk/client-${clients[0]}`).toBeDefined();
    for (const op of ops) out.add(IAM_ACTION[`${prefix}:${op}`] ?? `${prefix}:${op}`);
  }
  return [...out].sort();
}

describe('deploy/aws/portdrift-readonly.json', () => {
  type Policy = { Version: string; Statement: { Effect: string; Action: string[]; Resource: string | string[] }[] };
  const policy = JSON.parse(readFileSync(join(root, 'deploy', 'aws', 'portdrift-readonly.json'), 'utf8')) as Policy;
  const granted = policy.Statement.filter((s) => s.Effect === 'Allow')
    .flatMap((s) => s.Action)
    .sort();

  it('grants exactly the operations the code calls', () => {
    const called = calledActions();
    expect(called.length).toBeGreaterThanOrEqual(4);
    expect(granted).toEqual(called);
    expect([...AWS_ACTIONS, ...S3_STATE_ACTIONS].sort()).toEqual(called);
  });

  it('grants the state reads only on the state bucket', () => {
    const state = policy.Statement.find((x) => x.Action.includes('s3:GetObject'))!;
    expect([...state.Action].sort()).toEqual([...S3_STATE_ACTIONS].sort());
    expect(state.Resource).toEqual(['arn:aws:s3:::TERRAFORM-STATE-BUCKET', 'arn:aws:s3:::TERRAFORM-STATE-BUCKET/*']);
  });

  it('is read-only and well formed', () => {
    expect(policy.Version).toBe('2012-10-17');
    for (const a of granted) expect(a).toMatch(/^[a-z0-9]+:(Describe|List|Get|Lookup)[A-Za-z]+$/);
  });
});
