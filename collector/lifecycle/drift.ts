// One drift computation over the store: the model without its ignored parts against the stored
// observations and sweeps, plus the pod agents' listener views; the findings the lifecycle damps.
import { compareFindings, computeDrift } from '../../shared/drift/index.js';
import { podDrift, type PodView } from '../../shared/drift/pods.js';
import type { Logger } from '../../shared/log.js';
import type { DeclaredModel, DriftReport, Finding } from '../../shared/types.js';
import type { Store } from '../store/types.js';
import type { Transition } from './damping.js';
import { activeIgnores, ignoreMatcher, withoutIgnored } from './ignores.js';
import { declaredPorts, driftObservations } from './observations.js';
import { modelHosts } from './scope.js';

/** `report`: the engine's report; `current`: its findings that no ignore rule matches. */
export async function currentDrift(
  store: Store,
  declaredModel: DeclaredModel,
  now: string,
  freshnessMs: number,
): Promise<{ report: DriftReport; current: Finding[] }> {
  const m = ignoreMatcher(activeIgnores(await store.ignores(), now));
  const model = withoutIgnored(declaredModel, m);
  const declared = declaredPorts(model);
  for (const h of modelHosts(model)) if (!declared.has(h)) declared.set(h, new Set());
  const [stored, sweeps] = await Promise.all([
    store.driftObservations(declared),
    store.sweeps(new Set(declared.keys())),
  ]);
  const report = computeDrift(model, driftObservations(model, stored, sweeps), { now, freshnessMs });
  // Agents in pods (--listeners): their pod's listeners against the workload that declares it.
  const pods = await podViews(store);
  if (pods.length > 0) addFindings(report, podDrift(model, pods, { now, freshnessMs }));
  return { report, current: report.findings.filter((f) => !m.finding(f)) };
}

/** Pod findings join the report: sorted as the engine sorts, counted in the summary. */
function addFindings(report: DriftReport, more: Finding[]): void {
  if (more.length === 0) return;
  report.findings.push(...more);
  report.findings.sort(compareFindings);
  report.summary.findings = report.findings.length;
  for (const f of more) report.summary.byKind[f.kind] = (report.summary.byKind[f.kind] ?? 0) + 1;
}

/** A finding that opened, reopened or resolved, at info. */
export function logTransition(log: Logger, t: Transition): void {
  log.info(
    {
      finding: t.finding.id,
      kind: t.finding.kind,
      event: t.event,
      resource: t.finding.resource,
      host: t.finding.host,
      port: t.finding.port,
    },
    `finding ${t.event}`,
  );
}

/** The agents that said their pod, with their latest listener view. */
async function podViews(store: Store): Promise<PodView[]> {
  const agents = (await store.agents()).filter((a) => a.pod?.namespace && a.pod.labels);
  if (agents.length === 0) return [];
  const byAgent = new Map<string, PodView['listeners'][number][]>();
  for (const l of await store.listeners()) {
    const list = byAgent.get(l.agent);
    if (list) list.push(l);
    else byAgent.set(l.agent, [l]);
  }
  const view = (a: (typeof agents)[number]): PodView => ({
    agent: a.name,
    pod: a.pod!,
    viewAt: a.listenersAt,
    listeners: byAgent.get(a.name) ?? [],
  });
  return agents.map(view);
}
