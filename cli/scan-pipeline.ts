// The one-shot scan pipeline that `portdrift scan` prints and `portdrift fix` (without `--from`)
// turns into a patch: extract (the same flags and the same problems on stderr as `extract`) →
// probe targets per host of the model (declared listen ports + the discovery set, or `--ports`)
// → probe → observations as agent "local" → drift. No collector.
//
// Only hosts of the declared model are probed, and every resolved address passes the scope
// check of shared/scope.ts: link-local, cloud metadata, multicast and broadcast addresses are
// refused unless `--allow-special CIDR` lists them. A host that could not be resolved, probed
// or admitted is reported `unobserved`, with the reason in the finding's message.
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Command } from 'commander';
import type { ProbeRun } from '../agent/probe/index.js';
import type { HostReason } from '../shared/drift/explain.js';
import { IGNORE_FILE, applyIgnoreFile } from '../shared/ignore-file.js';
import { readIgnoreFile } from './ignore-file.js';
import type { ExtractResult } from '../shared/iac/extract.js';
import { type ExtractFlags, checkClusterDomain, extractWith } from './extract-flags.js';
import type { ConfiguredModel, DeclaredModel, DriftReport, Observation } from '../shared/types.js';
import type { CliContext } from './context.js';
import { parseProbeFlags } from './probe-flags.js';
import { type LiveFlags, auditLive, checkLiveFlags, readLive } from './live-flags.js';
import { computeLiveDrift, emptyReport, withLive } from '../shared/drift/live.js';
import { fingerprintMode, fingerprintScan } from './scan-fingerprint.js';
import { liveTargets, mergeTargets } from '../shared/drift/live-targets.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The agent name of a scan's observations. */
export const SCAN_AGENT = 'local';

/** Flags that say how to probe (scan, and fix without `--from`). */
export interface ProbeFlags {
  ports?: string;
  concurrency?: string;
  timeout?: string;
  allowSpecial: string[];
  exclude?: string[];
  excludePorts?: string;
  rate?: string;
  /**
   * true: `--fingerprint` (every open port); false: `--no-fingerprint`; absent: the declared
   * ports the IaC names a service for.
   */
  fingerprint?: boolean;
}

export type ScanFlags = ExtractFlags & ProbeFlags & LiveFlags;

/** The probe flags as they are spelled on the command line, for "only applies to" errors. */
export const PROBE_FLAG_NAMES: Readonly<Record<keyof ProbeFlags, string>> = {
  ports: '--ports',
  concurrency: '--concurrency',
  timeout: '--timeout',
  allowSpecial: '--allow-special',
  exclude: '--exclude',
  excludePorts: '--exclude-ports',
  rate: '--rate',
  fingerprint: '--fingerprint / --no-fingerprint',
};

export function addProbeFlags(cmd: Command): Command {
  return cmd
    .option(
      '--ports <spec>',
      'discovery set, replacing the default (common ports + ±10 around every ' +
        'declared port): e.g. 8000-8100, top, all; declared ports are always probed',
    )
    .option('--concurrency <n>', 'most probes in flight (default: sized from the file-descriptor limit)')
    .option(
      '--timeout <duration>',
      'connect timeout cap, e.g. 500ms, 2s (default 1s; adapts below it from measured RTT)',
    )
    .option(
      '--allow-special <cidr>',
      'probe a link-local, cloud-metadata, multicast or broadcast address anyway; repeat for several',
      collect,
      [],
    )
    .option(
      '--exclude <host|cidr>',
      'leave out these addresses, networks or host names (comma-separated, or repeat); their endpoints are unobserved',
      collect,
      [],
    )
    .option('--exclude-ports <spec>', 'never probe these ports, e.g. 9100,10250-10259 (declared ones are unobserved)')
    .option('--rate <n>', 'most connects per second over all hosts together (default: adaptive per-host pacing only)')
    .option(
      '--fingerprint',
      'name the service on every open port, discovery ports too ' +
        '(default: only declared ports whose IaC names a service, for wrong-service)',
    )
    .option('--no-fingerprint', 'name no service: connects only (no wrong-service findings)');
}

/** Observations of a probe run, and why the hosts without any were not observed. */
export function observationsOf(
  run: ProbeRun,
  at: string,
): { observations: Observation[]; reasons: Map<string, HostReason> } {
  const observations: Observation[] = [];
  const problems = new Map<string, string[]>();
  const suggestions = new Map<string, string>();
  const observedHosts = new Set<string>();
  const note = (host: string, text: string, suggestion: string): void => {
    problems.set(host, [...(problems.get(host) ?? []), text]);
    if (!suggestions.has(host)) suggestions.set(host, suggestion);
  };
  for (const s of run.sweeps) {
    if (s.ip === null) {
      note(
        s.host,
        `${s.host} does not resolve${s.error ? ` (${s.error})` : ''}`,
        `check that ${s.host} resolves from this machine, or give its address in a targets file`,
      );
      continue;
    }
    if (s.error && s.results.length === 0)
      note(
        s.host,
        `${s.ip} could not be probed (${s.error})`,
        `check the address of ${s.host} in the IaC, state or targets file`,
      );
    for (const r of s.results) {
      observedHosts.add(s.host);
      const fp = r.fingerprint ? { service: r.fingerprint.service, fingerprint: r.fingerprint } : {};
      const { host, ip, port, state, rttMs } = r;
      observations.push({ agent: SCAN_AGENT, host, ip, port, state, rttMs, at, ...fp });
    }
  }
  for (const k of run.skipped)
    note(
      k.host,
      `${k.ip} was refused (${k.reason})`,
      `pass --allow-special ${k.ip.includes(':') ? `${k.ip}/128` : `${k.ip}/32`} to probe it deliberately`,
    );
  for (const k of run.excluded ?? []) {
    note(k.host, `${k.ip} was excluded (--exclude)`, `drop ${k.host} from --exclude to check it`);
  }
  const reasons = new Map<string, HostReason>();
  for (const [host, texts] of problems)
    if (!observedHosts.has(host)) reasons.set(host, { message: texts.join('; '), suggestion: suggestions.get(host)! });
  return { observations, reasons };
}

/**
 * Code hosts resolve SARIF URIs, and CI systems JUnit files, against the repository root, and a
 * scan runs from the checkout: prefix every `source.file` (relative to the IaC root) with the path
 * from the working directory to the IaC root, so `portdrift scan infra/` annotates
 * `infra/rds.tf`. An IaC root outside the working directory has no such path; then the paths stay
 * relative to the IaC root.
 */
export function defaultPathPrefix(cwd: string, root: string): string {
  const rel = relative(cwd, root).split(sep).join('/');
  return rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel) ? '' : rel;
}

/** For stderr: what the declared model holds that a TCP scan cannot check. */
function notCheckedNote(model: DeclaredModel): string {
  const listen = model.endpoints.filter((e) => e.role === 'listen');
  const noHost = listen.filter((e) => e.host === null).length;
  const udp = listen.filter((e) => e.host !== null && e.protocol !== 'tcp').length;
  const parts = [];
  if (noHost)
    parts.push(
      `${noHost} listen endpoint${noHost === 1 ? '' : 's'} without ` +
        `a known host (not resolved; see \`portdrift extract\`)`,
    );
  if (udp) parts.push(`${udp} UDP listen endpoint${udp === 1 ? '' : 's'} (a TCP connect scan cannot see them)`);
  return parts.length ? `portdrift: not checked: ${parts.join(', ')}\n` : '';
}

export interface ScanResult {
  model: ExtractResult;
  report: DriftReport;
  /** Hosts probed. */
  hosts: number;
  /** Null with --no-probe. */
  run: ProbeRun | null;
  /** With --live: what the cloud API said is configured. */
  configured?: ConfiguredModel | null;
}

/**
 * Extract → probe → drift, with scan's notes on stderr (extraction problems, what a TCP scan
 * cannot check, nothing to probe, interrupted). Every argument is checked before anything is
 * read or probed.
 */
export async function runScan(ctx: CliContext, paths: string[], opts: ScanFlags): Promise<ScanResult> {
  checkClusterDomain(opts.clusterDomain);
  const { ports: discovery, concurrency, timeoutMs, admit, exclude, excludePorts, rate } = parseProbeFlags(opts);
  const live = checkLiveFlags(opts);
  // The engines load when a scan runs, not when the command is defined (`--help`, completion).
  const [probe, explain, drift, targeting, extraction] = await Promise.all([
    import('../agent/probe/index.js'),
    import('../shared/drift/explain.js'),
    import('../shared/drift/index.js'),
    import('../shared/drift/targets.js'),
    import('../shared/format/extraction.js'),
  ]);
  const { probeTargets } = probe;
  const { explainUnobserved } = explain;
  const { computeDrift } = drift;
  const { scanTargets } = targeting;
  const { problemsSummary } = extraction;

  // With --live, memory is the bar (docs/benchmarks.md): the live read, the extraction and the
  // comparison run one after the other, so their peaks do not stack. The live read comes first, in
  // a process that loads the AWS SDK and ends with the read; then the extraction, on one parser
  // thread that ends with it; the young generation of this process stays small throughout.
  // The live layer is read before probing: missing credentials fail the run before any probe.
  if (live) ctx.smallYoungGeneration?.();
  let configured: ConfiguredModel | null = null;
  let liveFailure: unknown;
  // A mistyped IaC path is reported before any call to AWS is made: the read waits for the
  // extraction (and its error) when a path does not exist.
  const readFirst = live && paths.every((p) => existsSync(p));
  if (readFirst) {
    try {
      configured = await readLive(opts);
    } catch (err) {
      // Reported after the extraction, as when the read came after it: an IaC that cannot be
      // read, or a broken ignore file, is still the error a run reports.
      liveFailure = err;
    }
  }
  const model = await extractWith(ctx, paths, opts, live ? 1 : undefined);
  // A broken ignore file stops the scan before anything is probed (it names the file and line).
  const ignoreRules = await readIgnoreFile(ctx, join(model.root, IGNORE_FILE));
  ctx.err(problemsSummary(model.problems));
  if (liveFailure !== undefined) throw liveFailure;
  if (live && !readFirst) configured = await readLive(opts);
  if (configured && configured.problems.length > 0) {
    const n = configured.problems.length;
    const lines = configured.problems.map((p) => `  ${p.region} ${p.operation}: ${p.message} [${p.code}]\n`).join('');
    ctx.err(`portdrift: ${n} live read${n === 1 ? '' : 's'} failed (everything else was read):\n${lines}`);
  }
  // --live-audit: who changed each drifted object last; what could not be looked up goes to stderr.
  const audited = async (report: DriftReport): Promise<DriftReport> => {
    if (!configured || !opts.liveAudit) return report;
    const before = report.summary.live?.problems.length ?? 0;
    const out = await auditLive(opts, report, configured);
    for (const p of out.summary.live?.problems.slice(before) ?? []) {
      ctx.err(`portdrift: --live-audit: ${p.region} ${p.operation}: ${p.message} [${p.code}]\n`);
    }
    return out;
  };
  if (configured && opts.probe === false) {
    const now = new Date().toISOString();
    const report = await audited(
      withLive(emptyReport(model, now), computeLiveDrift(model, configured, { now, probed: false })),
    );
    const shown = ignoreRules ? applyIgnoreFile(report, ignoreRules) : report;
    return { model, report: shown, hosts: 0, run: null, configured };
  }
  ctx.err(notCheckedNote(model));

  const keep = (p: number): boolean => !excludePorts?.has(p);
  const own = scanTargets(model, discovery ? { discovery } : {});
  // With --live, the hosts the cloud API names for the IaC's resources are probed too.
  const targets = mergeTargets(own, configured ? liveTargets(model, configured) : []).map((t) =>
    excludePorts ? { ...t, declared: t.declared.filter(keep), discovery: t.discovery.filter(keep) } : t,
  );
  // An empty result must not read as "in sync" when nothing could be looked at.
  if (targets.length === 0)
    ctx.err(
      'portdrift: nothing to probe: no resource of the IaC is ' +
        'placed on a host (give its hosts with --state or --targets)\n',
    );
  // SIGINT/SIGTERM stops starting probes; what was not probed is then `unobserved`, which
  // is the honest report of an interrupted scan (a second signal exits at once, cli/main.ts).
  const abort = new AbortController();
  void ctx.shutdown.then(() => abort.abort());
  const run = await probeTargets(targets, {
    signal: abort.signal,
    admit: (ip) => admit(ip),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(ctx.nofileLimit !== undefined ? { nofileLimit: ctx.nofileLimit } : {}),
    ...(rate !== undefined ? { rate } : {}),
    ...(exclude ? { exclude: exclude.matches } : {}),
  });
  await fingerprintScan(run, targets, fingerprintMode(opts.fingerprint), abort.signal);
  if (abort.signal.aborted)
    ctx.err('portdrift: interrupted: the report covers only the ports probed before the signal\n');
  const now = new Date().toISOString();
  const { observations, reasons } = observationsOf(run, now);
  // Hosts only the live layer named are judged by the live comparison, not as hosts of the model.
  const modelHosts = new Set(own.map((t) => t.host));
  const ofModel = configured ? observations.filter((o) => modelHosts.has(o.host)) : observations;
  const probed = explainUnobserved(computeDrift(model, ofModel, { now }), reasons);
  const report = configured
    ? await audited(withLive(probed, computeLiveDrift(model, configured, { now, observations, probed: true })))
    : probed;
  const shown = ignoreRules ? applyIgnoreFile(report, ignoreRules) : report;
  return { model, report: shown, hosts: targets.length, run, configured };
}

/** For stderr on a terminal: what the probe did. */
export function probeSummaryLine(result: ScanResult): string {
  if (!result.run) return '';
  const s = result.run.summary;
  return (
    `portdrift: probed ${s.probes} ports on ${result.hosts} host${result.hosts === 1 ? '' : 's'} in ` +
    `${s.seconds.toFixed(1)} s (${s.open} open, ${s.closed} ` +
    `closed, ${s.filtered} filtered, ${s.unreachable} unreachable)\n`
  );
}
