// `--fail-on KIND|SEVERITY` of `scan` and `drift` (docs/design/findings.md#fail-on): exit 2 when a
// finding is of that kind, or at or above that severity; without it, any finding fails.
// Acknowledged findings stay listed but never fail a run — acknowledging is how a team says
// "known, leave my pipeline green".
import { PortdriftError } from '../errors.js';
import type { DriftReport, Finding, FindingKind, Severity } from '../types.js';
import { FINDING_KINDS } from './index.js';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high'];

export type FailOn = { kind: FindingKind } | { severity: Severity } | { any: true };

export function parseFailOn(raw: string | undefined): FailOn {
  // `--fail-on HIGH` means what `high` means: CI variables are often written in capitals.
  const text = raw?.trim().toLowerCase();
  if (text === undefined || text === 'any') return { any: true };
  if ((FINDING_KINDS as readonly string[]).includes(text)) return { kind: text as FindingKind };
  if ((SEVERITIES as readonly string[]).includes(text)) return { severity: text as Severity };
  throw new PortdriftError(
    'PD_USAGE',
    `--fail-on ${JSON.stringify(raw)}: expected a kind (` +
      `${FINDING_KINDS.join(', ')}), a severity (${SEVERITIES.join(', ')}) or any`,
  );
}

export function fails(f: Finding, on: FailOn): boolean {
  if (f.ack) return false;
  if ('any' in on) return true;
  if ('kind' in on) return f.kind === on.kind;
  return SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf(on.severity);
}

/** The exit code of a run: 2 when a finding fails it, else 0. */
export function exitCodeFor(report: DriftReport, on: FailOn): 0 | 2 {
  return report.findings.some((f) => fails(f, on)) ? 2 : 0;
}
