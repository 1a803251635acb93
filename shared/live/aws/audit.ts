// `--live-audit` (see cloudtrail.ts): apart from readAws, so that the scanning process, which
// never loads the readers' five SDK clients (read-process.ts), loads the CloudTrail client alone.
import pLimit from 'p-limit';
import type { Finding } from '../../types.js';
import { type Change, auditRegion, cloudtrailClient } from './cloudtrail.js';
import { resolveCredentials } from './credentials.js';
import type { LiveProblem } from './errors.js';
import type { AwsReadOptions } from './index.js';

export type { Change };

/** Finding kinds `--live-audit` looks up: a change someone made to the live object. */
export const AUDITED_KINDS: ReadonlySet<Finding['kind']> = new Set(['config-drift', 'unmanaged-rule', 'missing-rule']);

/**
 * `--live-audit`: the last change (CloudTrail LookupEvents) of each audited finding's live object,
 * in the region the object was read from (`regionOf` its live id). Finding id → change, and what
 * could not be looked up.
 */
export async function auditAws(
  o: AwsReadOptions,
  findings: readonly Finding[],
  regionOf: ReadonlyMap<string, string>,
): Promise<{ changes: Map<string, Change>; problems: LiveProblem[] }> {
  const byRegion = new Map<string, Finding[]>();
  for (const f of findings) {
    const region = f.liveId ? regionOf.get(f.liveId) : undefined;
    if (!AUDITED_KINDS.has(f.kind) || region === undefined) continue;
    byRegion.set(region, [...(byRegion.get(region) ?? []), f]);
  }
  const changes = new Map<string, Change>();
  const problems: LiveProblem[] = [];
  if (byRegion.size === 0) return { changes, problems };
  const profile = o.profile !== undefined ? { profile: o.profile } : {};
  const role = o.roleArn ? { roleArn: o.roleArn } : {};
  const first = [...byRegion.keys()][0]!;
  const credentials = await resolveCredentials({ region: first, ...profile, ...role });
  const limit = pLimit(o.concurrency ?? 4);
  await Promise.all(
    [...byRegion].map(([region, list]) =>
      limit(async () => {
        const config = { region, credentials, retryMode: 'adaptive', maxAttempts: o.maxAttempts ?? 5, ...profile };
        const client = cloudtrailClient(config);
        try {
          for (const [id, c] of await auditRegion(client, region, list, problems)) changes.set(id, c);
        } finally {
          client.destroy();
        }
      }),
    ),
  );
  return { changes, problems };
}
