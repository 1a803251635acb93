// deploy/aws/portdrift-write.json must grant every AWS API operation `fix --environment --apply`
// calls, and nothing else: the operations are read from the code itself (each SDK Command class
// imported in shared/live/aws/write, with the IAM prefix of the client package it is imported
// from). The read-only policy must not grant any of them: the two are attached separately.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS_WRITE_ACTIONS } from '../../../shared/live/aws/write/revert.js';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = join(root, 'shared', 'live', 'aws', 'write');
const IAM_PREFIX: Record<string, string> = { ec2: 'ec2', rds: 'rds' };

type Policy = { Version: string; Statement: { Effect: string; Action: string[]; Resource: string }[] };
const policy = (name: string): Policy => JSON.parse(readFileSync(join(root, 'deploy', 'aws', name), 'utf8')) as Policy;
const granted = (p: Policy): string[] =>
  p.Statement.filter((s) => s.Effect === 'Allow')
    .flatMap((s) => s.Action)
    .sort();

function calledActions(): string[] {
  const out = new Set<string>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      const prefix = IAM_PREFIX[m[2]!];
      expect(prefix, `no IAM prefix known for @aws-sdk/client-${m[2]}`).toBeDefined();
      for (const c of m[1]!.matchAll(/\b([A-Z]\w+)Command\b/g)) {
        // Only a command the file really sends counts.
        if (new RegExp(`new ${c[1]}Command\\b`).test(text)) out.add(`${prefix}:${c[1]}`);
      }
    }
  }
  return [...out].sort();
}

describe('deploy/aws/portdrift-write.json', () => {
  it('grants exactly the write operations the code calls', () => {
    const called = calledActions();
    const writes = ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'rds:ModifyDBInstance'];
    expect(called).toEqual(writes);
    expect(granted(policy('portdrift-write.json'))).toEqual(called);
    expect([...AWS_WRITE_ACTIONS].sort()).toEqual(called);
  });

  it('is separate from the read-only policy, which grants none of them', () => {
    const read = granted(policy('portdrift-readonly.json'));
    for (const a of granted(policy('portdrift-write.json'))) expect(read).not.toContain(a);
    expect(policy('portdrift-write.json').Version).toBe('2012-10-17');
  });
});
