// The drift engine: declared model + observations → findings (docs/design/findings.md#kinds).
// Pure: no IO, no clock (`now` is given), nothing outside shared/. The collector calls it on
// every IaC reload and observation batch, `portdrift scan` once. Linear in its input: the model
// and the observations are indexed by host once, and every host is then judged on its own, so
// 10,000 resources and 1,000,000 observations take well under a second (bench/drift.bench.mjs).
//
// Per host of the model:
// - each checked listen endpoint (TCP, with a host) is judged over every fresh observation of its
//   port: open on any address → in sync; closed on every address → `moved` or `missing`;
//   otherwise filtered / unreachable somewhere and open nowhere → `unreachable`; never observed
//   → `unobserved`. A range endpoint is in sync when any port of the range is open. An open port
//   whose IaC expects a service (`expect`) and whose fingerprint names another is `wrong-service`.
// - open ports that no listen endpoint declares for the host are moved-candidates (moves.ts);
//   those that explain no closed declared port are `undeclared`.
import { PortdriftError } from '../errors.js';
import { SENSITIVE_PORTS } from '../ports.js';
import type {
  DeclaredEndpoint,
  DeclaredModel,
  DriftReport,
  DriftSummary,
  Finding,
  FindingKind,
  Observation,
  PortState,
  ServiceExpectation,
  ServiceName,
  Severity,
  SourceLocation,
} from '../types.js';
import { stableHash } from './hash.js';
import { type Check, type HostIndex, compareText, indexModel, isDeclared } from './model-index.js';
import { type Candidate, assignMoves } from './moves.js';
import {
  missingText,
  movedText,
  undeclaredText,
  unobservedText,
  unreachableText,
  wrongServiceText,
} from './messages.js';
import { type HostPorts, asList, cutoffFor, groupObservations, verdictOf } from './observed.js';
import { knownService, sameService } from './services.js';

export { MOVE_WINDOW } from './moves.js';

export interface DriftOptions {
  /** ISO time; generatedAt, and firstSeen/lastSeen defaults. */
  now: string;
  /** Observations older than now - freshnessMs are ignored (→ unobserved); default: no limit. */
  freshnessMs?: number;
}

export const FINDING_KINDS: readonly FindingKind[] = [
  'moved',
  'missing',
  'unreachable',
  'undeclared',
  'unobserved',
  'config-drift',
  'unmanaged-rule',
  'missing-rule',
  'stale-rule',
  'wrong-service',
];
const KIND_RANK = new Map(FINDING_KINDS.map((k, i) => [k, i]));
const SEVERITY_RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

/** `f_` + 16 hex digits of a stable hash of kind, resource, host and port. */
export function findingId(kind: FindingKind, resource: string, host: string, port: number): string {
  return `f_${stableHash(`${kind}\u0000${resource}\u0000${host}\u0000${port}`)}`;
}

/** Findings in the contract's order: severity, kind, resource, host, port (then the rest, so the order is total). */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (KIND_RANK.get(a.kind) ?? 99) - (KIND_RANK.get(b.kind) ?? 99) ||
    compareText(a.resource, b.resource) ||
    compareText(a.host, b.host) ||
    a.port - b.port ||
    (a.observedPort ?? 0) - (b.observedPort ?? 0) ||
    compareText(a.id, b.id)
  );
}

interface Draft {
  kind: FindingKind;
  severity: Severity;
  resource: string;
  source: SourceLocation | null;
  host: string;
  port: number;
  observedPort?: number;
  state: PortState | null;
  agent: string | null;
  text: { message: string; suggestion: string };
  expectedService?: ServiceName;
  observedService?: string;
}

const EMPTY: HostPorts = new Map();

export function computeDrift(
  model: DeclaredModel,
  observations: readonly Observation[],
  options: DriftOptions,
): DriftReport {
  const nowMs = Date.parse(options.now);
  if (!Number.isFinite(nowMs))
    throw new PortdriftError('PD_USAGE', `drift: now ${JSON.stringify(options.now)} is not an ISO time`);
  if (options.freshnessMs !== undefined && !(options.freshnessMs >= 0))
    throw new PortdriftError(
      'PD_USAGE',
      `drift: freshnessMs must be a non-negative number, got ${options.freshnessMs}`,
    );
  const now = new Date(nowMs).toISOString();
  const index = indexModel(model);
  const grouped = groupObservations(index, observations, cutoffFor(nowMs, options.freshnessMs));

  const findings: Finding[] = [];
  const emit = (d: Draft): void => {
    findings.push({
      id: findingId(d.kind, d.resource, d.host, d.port),
      kind: d.kind,
      severity: d.severity,
      resource: d.resource,
      source: d.source ? { ...d.source } : null,
      host: d.host,
      port: d.port,
      ...(d.observedPort !== undefined ? { observedPort: d.observedPort } : {}),
      state: d.state,
      agent: d.agent,
      firstSeen: now,
      lastSeen: now,
      message: d.text.message,
      suggestion: d.text.suggestion,
      ack: null,
      ...(d.expectedService !== undefined ? { expectedService: d.expectedService } : {}),
      ...(d.observedService !== undefined ? { observedService: d.observedService } : {}),
    });
  };

  let observed = 0;
  for (const h of index.hosts.values())
    observed += judgeHost(h, grouped.get(h.host) ?? EMPTY, options.freshnessMs, emit);

  findings.sort(compareFindings);
  const byKind: DriftSummary['byKind'] = {};
  const counts = new Map<FindingKind, number>();
  for (const f of findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  for (const k of FINDING_KINDS) if (counts.has(k)) byKind[k] = counts.get(k)!;
  for (const [k, n] of counts) if (!(k in byKind)) byKind[k] = n;
  return {
    version: 1,
    generatedAt: now,
    summary: {
      resources: model.resources.length,
      endpoints: index.checks,
      observed,
      findings: findings.length,
      byKind,
    },
    findings,
  };
}

/** Emits the findings of one host; returns how many of its checks had a fresh observation. */
function judgeHost(h: HostIndex, ports: HostPorts, freshnessMs: number | undefined, emit: (d: Draft) => void): number {
  let observed = 0;
  const closed = new Map<number, { checks: Check[]; list: Observation[]; agent: string }>();
  const base = (e: DeclaredEndpoint) => ({ resource: e.resource, source: e.source, host: h.host, port: e.port });

  for (const c of h.checks) {
    const e = c.endpoint;
    const list = c.lo === c.hi ? singleList(ports, c.lo) : rangeList(ports, c.lo, c.hi);
    if (list.length === 0) {
      emit({
        ...base(e),
        kind: 'unobserved',
        severity: 'low',
        state: null,
        agent: null,
        text: unobservedText(e, h.host, freshnessMs),
      });
      continue;
    }
    observed++;
    const v = verdictOf(list);
    if (v.verdict === 'open') {
      const wrong = c.lo === c.hi ? wrongService(e, list) : undefined;
      if (wrong) {
        const { expect, seen } = wrong;
        emit({
          ...base(e),
          source: expect.source,
          kind: 'wrong-service',
          severity: 'high',
          state: 'open',
          agent: seen.agent,
          text: wrongServiceText(e, expect, h.host, seen),
          expectedService: expect.service,
          observedService: seen.service!,
        });
      }
      continue;
    }
    if (v.verdict === 'inconclusive') {
      const shown = list.filter((o) => o.state !== 'open');
      emit({
        ...base(e),
        kind: 'unreachable',
        severity: 'medium',
        state: v.state,
        agent: v.latest.agent,
        text: unreachableText(e, h.host, shown),
      });
      continue;
    }
    if (c.lo !== c.hi) {
      // A range is a set of ports, not one service that can move: all closed is `missing`.
      emit({
        ...base(e),
        kind: 'missing',
        severity: 'high',
        state: 'closed',
        agent: v.latest.agent,
        text: missingText(e, h.host, list),
      });
      continue;
    }
    const entry = closed.get(c.lo);
    if (entry) entry.checks.push(c);
    else closed.set(c.lo, { checks: [c], list, agent: v.latest.agent });
  }

  const candidates: Candidate[] = [];
  for (const [port, p] of ports) {
    if (isDeclared(h, port)) continue;
    const open = asList(p).filter((o) => o.state === 'open');
    if (open.length === 0) continue;
    candidates.push({ port, service: open.find((o) => o.service)?.service, open });
  }
  candidates.sort((a, b) => a.port - b.port);

  // Several resources declaring the same host:port (a target group and the ECS service behind
  // it) are one listener: they share its candidate, and each gets its own finding.
  const expectedOn = (port: number) =>
    closed.get(port)?.checks.find((c) => c.endpoint.expect)?.endpoint.expect?.service;
  const moves = assignMoves([...closed.keys()], candidates, expectedOn);
  for (const [port, entry] of closed) {
    const cand = moves.get(port);
    for (const c of entry.checks) {
      const e = c.endpoint;
      const seen = cand ? knownService(cand.service) : undefined;
      if (cand) {
        const text = movedText(e, h.host, cand.open, cand.port);
        const service = seen ? { observedService: seen } : {};
        emit({
          ...base(e),
          kind: 'moved',
          severity: 'high',
          observedPort: cand.port,
          state: 'closed',
          agent: entry.agent,
          text,
          ...service,
        });
      } else
        emit({
          ...base(e),
          kind: 'missing',
          severity: 'high',
          state: 'closed',
          agent: entry.agent,
          text: missingText(e, h.host, entry.list),
        });
    }
  }
  const used = new Set(moves.values());
  for (const cand of candidates) {
    if (used.has(cand)) continue;
    const latest = cand.open.reduce((a, b) => (b.at > a.at ? b : a));
    emit({
      kind: 'undeclared',
      severity: SENSITIVE_PORTS.has(cand.port) ? 'high' : 'medium',
      resource: h.resources.join(', ') || h.host,
      source: null,
      host: h.host,
      port: cand.port,
      state: 'open',
      agent: latest.agent,
      text: undeclaredText(h.host, cand.port, cand.open, h.resources),
    });
  }
  return observed;
}

/**
 * An open declared port that answers another service than its IaC expects: the latest open
 * observation whose fingerprint names a service (not `unknown`) that is not the expected one.
 * No expectation, no fingerprint, or `unknown`: nothing to say.
 */
function wrongService(
  e: DeclaredEndpoint,
  list: readonly Observation[],
): { expect: ServiceExpectation; seen: Observation } | undefined {
  const expect = e.expect;
  if (!expect) return undefined;
  let seen: Observation | undefined;
  for (const o of list) {
    const name = o.state === 'open' ? knownService(o.service ?? o.fingerprint?.service) : undefined;
    if (!name || sameService(expect.service, name)) continue;
    if (!seen || o.at > seen.at) seen = { ...o, service: name };
  }
  return seen ? { expect, seen } : undefined;
}

function singleList(ports: HostPorts, port: number): Observation[] {
  const p = ports.get(port);
  return p === undefined ? [] : asList(p);
}

function rangeList(ports: HostPorts, lo: number, hi: number): Observation[] {
  const out: Observation[] = [];
  if (hi - lo + 1 <= ports.size) {
    for (let port = lo; port <= hi; port++) {
      const p = ports.get(port);
      if (p !== undefined) out.push(...asList(p));
    }
  } else {
    for (const [port, p] of ports) if (port >= lo && port <= hi) out.push(...asList(p));
  }
  return out;
}
