// The engine only knows that nothing observed an endpoint; the caller that ran the probes knows
// why (the name did not resolve, the address was refused as link-local). This replaces the
// generic sentence of those `unobserved` findings with the reason, so "unobserved" never reads
// as "nobody looked" when in fact the host could not be looked at.
import type { DriftReport } from '../types.js';

export interface HostReason {
  /** Why the host was not observed: `db.internal does not resolve (ENOTFOUND)`. */
  message: string;
  /** What to do about it. */
  suggestion: string;
}

export function explainUnobserved(report: DriftReport, reasons: ReadonlyMap<string, HostReason>): DriftReport {
  if (reasons.size === 0) return report;
  return {
    ...report,
    findings: report.findings.map((f) => {
      const why = f.kind === 'unobserved' ? reasons.get(f.host) : undefined;
      return why
        ? { ...f, message: `${f.resource} port ${f.port} was not observed: ${why.message}`, suggestion: why.suggestion }
        : f;
    }),
  };
}
