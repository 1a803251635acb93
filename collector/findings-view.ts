// The findings as the API and the CLI show them: the DriftReport shape of `scan --format json`,
// with ignore rules applied at once and acknowledgements shown only while active.
import { compareFindings } from '../shared/drift/index.js';
import type { DriftReport, DriftSummary, Finding, FindingKind, Severity } from '../shared/types.js';
import { ackActive } from './lifecycle/damping.js';
import { activeIgnores, ignoreMatcher } from './lifecycle/ignores.js';
import type { LoadedModel } from './lifecycle/model.js';
import type { Store, StoredFinding } from './store/types.js';

export interface FindingQuery {
  status?: 'open' | 'resolved' | 'all';
  kind?: FindingKind;
  severity?: Severity;
}

/**
 * Findings in the DriftReport shape of `scan --format json`; acknowledged findings stay listed.
 * `lastSummary`: the summary of the last evaluation (its counts of resources, endpoints, observed).
 */
export async function findingsReport(
  store: Store,
  loaded: LoadedModel | null,
  lastSummary: DriftSummary | null,
  q: FindingQuery,
  now: string,
): Promise<DriftReport> {
  const status = q.status ?? 'open';
  // Ignore rules apply at once, not only from the next cycle on.
  const ignored = ignoreMatcher(activeIgnores(await store.ignores(), now));
  const rows = (await store.findings()).filter(
    (r) => r.status !== 'pending' && (status === 'all' || r.status === status),
  );
  const findings = rows
    .map((r) => present(r, now))
    .filter((f) => !ignored.finding(f) && (!q.kind || f.kind === q.kind) && (!q.severity || f.severity === q.severity));
  const byKind: DriftSummary['byKind'] = {};
  for (const f of findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  const base = lastSummary ?? {
    resources: loaded?.model.resources.length ?? 0,
    endpoints: loaded?.model.endpoints.length ?? 0,
    observed: 0,
  };
  return {
    version: 1,
    generatedAt: now,
    summary: {
      resources: base.resources,
      endpoints: base.endpoints,
      observed: base.observed,
      findings: findings.length,
      byKind,
    },
    findings: findings.sort(compareFindings),
  };
}

/** A stored finding as the API shows it: the ack only while active, resolvedAt only once resolved. */
export function present(r: StoredFinding, now: string): Finding {
  const { resolvedAt, ...rest } = r.finding;
  const f: Finding = { ...rest, ack: ackActive(r, now) ? r.ack : null };
  if (r.status === 'resolved') f.resolvedAt = resolvedAt ?? null;
  return f;
}
