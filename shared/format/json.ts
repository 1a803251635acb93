// Findings → `--format json`, DESIGN.md "Machine-readable output" version 1. The object is
// rebuilt field by field in the contract's order, so the document is the same whatever produced
// the report (the engine, the collector, a saved file read back) and nothing internal leaks.
import type { DriftReport, Finding } from '../types.js';

function finding(f: Finding): Finding {
  return {
    id: f.id,
    kind: f.kind,
    severity: f.severity,
    resource: f.resource,
    source: f.source ? { file: f.source.file, line: f.source.line } : null,
    host: f.host,
    port: f.port,
    ...(f.observedPort !== undefined ? { observedPort: f.observedPort } : {}),
    state: f.state,
    agent: f.agent,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
    ...(f.resolvedAt !== undefined ? { resolvedAt: f.resolvedAt } : {}),
    message: f.message,
    suggestion: f.suggestion,
    ack: f.ack ? { by: f.ack.by, reason: f.ack.reason, at: f.ack.at, expiresAt: f.ack.expiresAt } : null,
  };
}

export function toDriftJson(report: DriftReport): DriftReport {
  const s = report.summary;
  return {
    version: 1,
    generatedAt: report.generatedAt,
    summary: {
      resources: s.resources,
      endpoints: s.endpoints,
      observed: s.observed,
      findings: s.findings,
      byKind: { ...s.byKind },
      ...(s.ignored !== undefined ? { ignored: s.ignored } : {}),
    },
    findings: report.findings.map(finding),
  };
}

export function formatDriftJson(report: DriftReport): string {
  return `${JSON.stringify(toDriftJson(report), null, 2)}\n`;
}
