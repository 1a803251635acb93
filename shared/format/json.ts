// Findings → `--format json`, docs/design/findings.md#json-output version 1. The object is
// rebuilt field by field in the contract's order, so the document is the same whatever produced
// the report (the engine, the collector, a saved file read back) and nothing internal leaks.
import type { DriftReport, Finding, LayerValue, LiveSummary } from '../types.js';

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
    // wrong-service: what the IaC expects and what answers; moved: what answers on the new port.
    ...(f.expectedService !== undefined ? { expectedService: f.expectedService } : {}),
    ...(f.observedService !== undefined ? { observedService: f.observedService } : {}),
    state: f.state,
    agent: f.agent,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
    ...(f.resolvedAt !== undefined ? { resolvedAt: f.resolvedAt } : {}),
    message: f.message,
    suggestion: f.suggestion,
    ack: f.ack ? { by: f.ack.by, reason: f.ack.reason, at: f.ack.at, expiresAt: f.ack.expiresAt } : null,
    // The three layers of a finding from `scan --live` (each null where that layer has nothing).
    ...(f.liveId !== undefined
      ? { declared: layer(f.declared), configured: layer(f.configured), observed: layer(f.observed), liveId: f.liveId }
      : {}),
    // `scan --live-audit`: the last change of the live object (CloudTrail), where one was found.
    ...(f.changedBy !== undefined ? { changedBy: f.changedBy } : {}),
    ...(f.changedAt !== undefined ? { changedAt: f.changedAt } : {}),
  };
}

function layer(v: LayerValue | null | undefined): LayerValue | null {
  if (!v) return null;
  return {
    port: v.port,
    ...(v.toPort !== undefined ? { toPort: v.toPort } : {}),
    protocol: v.protocol,
    ...(v.sources ? { sources: [...v.sources] } : {}),
  };
}

function live(l: LiveSummary): LiveSummary {
  return {
    provider: l.provider,
    regions: [...l.regions],
    read: { ...l.read },
    matched: l.matched.map((m) => ({ resource: m.resource, liveId: m.liveId, by: m.by })),
    unmatchedResources: [...l.unmatchedResources],
    unmanaged: l.unmanaged.map((u) => ({ kind: u.kind, liveId: u.liveId, name: u.name, region: u.region })),
    problems: l.problems.map((p) => ({ region: p.region, operation: p.operation, message: p.message, code: p.code })),
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
      ...(s.live ? { live: live(s.live) } : {}),
      ...(s.ignored !== undefined ? { ignored: s.ignored } : {}),
    },
    findings: report.findings.map(finding),
  };
}

export function formatDriftJson(report: DriftReport): string {
  return `${JSON.stringify(toDriftJson(report), null, 2)}\n`;
}
