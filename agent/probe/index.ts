// The probe engine's entry: resolve every name once, refuse what `admit` refuses, probe each
// distinct address once (declared ports first), and hand back one sweep per (host, address)
// with every probed port's result. Large sweeps are split over worker threads (threads.ts);
// the connects themselves run in engine.ts (shard.ts and the units it wires).
import { PortdriftError } from '../../shared/errors.js';
import { isPort, PORT_STATES } from '../../shared/ports.js';
import { MOVE_WINDOW } from '../../shared/drift/moves.js';
import { serviceName } from '../../shared/services.js';
import type { PortState, ProbeResult, ProbeSummary, ServiceName } from '../../shared/types.js';
import { fingerprintAll, type FingerprintTarget } from '../fingerprint/runner.js';
import { readBudgets, windowSize } from './budget.js';
import { Code, type ShardHostResult, type ShardSettings } from './engine.js';
import { probeOrder, type AddressJob } from './order.js';
import { resolveAll, type LookupFn } from './resolve.js';
import type { ShardHost } from './shard-types.js';
import { ResultStream } from './stream.js';
import { runJobs } from './threads.js';
import type { HostSweep, ProbeOptions, ProbeRun, ProbeTarget } from './types.js';

export type { HostSweep, ProbeOptions, ProbeRun, ProbeTarget } from './types.js';

export const DEFAULT_TIMEOUT_MS = 1000;
/** Below this an answer on a fast LAN is still plausible under load; nmap -T5 uses 50 ms. */
export const TIMEOUT_FLOOR_MS = 100;
export const DEFAULT_RETRIES = 1;
/**
 * Per-address connect rate: a bound against runaway, not a pacing target. A full 65535-port
 * sweep of one loopback address runs at 80–100k/s over two threads, and a cap near that speed
 * stalls it (each shard gets rate ÷ threads). The per-address congestion window (which halves
 * when drops appear) keeps a struggling host from seeing a flood; callers that probe fragile
 * services pass a lower rate.
 */
export const DEFAULT_PER_HOST_RATE = 250_000;

/** A result code is 1 + the state's index in PORT_STATES; 0 is no result yet. */
const STATES: readonly (PortState | null)[] = [null, ...PORT_STATES];

function checkOptions(o: ProbeOptions): void {
  const problems: string[] = [];
  const int = (v: number | undefined, name: string, min: number, max: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max))
      problems.push(`${name}: must be an integer from ${min} to ${max}, got ${v}`);
  };
  int(o.concurrency, 'concurrency', 1, 65535);
  int(o.timeoutMs, 'timeoutMs', 1, 120_000);
  int(o.retries, 'retries', 0, 10);
  int(o.threads, 'threads', 1, 16);
  if (o.perHostRate !== undefined && !(o.perHostRate > 0))
    problems.push(`perHostRate: must be a positive number, got ${o.perHostRate}`);
  if (typeof o.fingerprint === 'object') {
    const f = o.fingerprint;
    int(f.deadlineMs, 'fingerprint.deadlineMs', 1, 60_000);
    int(f.bannerWaitMs, 'fingerprint.bannerWaitMs', 0, 60_000);
    int(f.attemptTimeoutMs, 'fingerprint.attemptTimeoutMs', 1, 60_000);
    int(f.maxBytes, 'fingerprint.maxBytes', 16, 1 << 20);
    int(f.tlsMaxBytes, 'fingerprint.tlsMaxBytes', 1024, 1 << 20);
    int(f.portMaxBytes, 'fingerprint.portMaxBytes', 64, 1 << 22);
    int(f.concurrency, 'fingerprint.concurrency', 1, 1024);
    int(f.perAddress, 'fingerprint.perAddress', 1, 1024);
    int(f.maxPortsPerAddress, 'fingerprint.maxPortsPerAddress', 1, 65535);
  }
  if (o.rate !== undefined && !(o.rate > 0)) problems.push(`rate: must be a positive number, got ${o.rate}`);
  if (problems.length)
    throw new PortdriftError('PD_USAGE', `invalid probe options: ${problems.join('; ')}`, { details: { problems } });
}

function checkTargets(targets: readonly ProbeTarget[]): void {
  const problems: string[] = [];
  targets.forEach((t, i) => {
    if (typeof t.host !== 'string' || t.host.trim() === '')
      problems.push(`targets[${i}].host: must be a host name or address`);
    for (const key of ['declared', 'discovery'] as const) {
      const bad = (t[key] ?? []).filter((p) => !isPort(p));
      if (bad.length)
        problems.push(`targets[${i}].${key}: not ports: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}`);
    }
    for (const [port, name] of Object.entries(t.expect ?? {})) {
      if (!isPort(Number(port))) problems.push(`targets[${i}].expect: ${port} is not a port`);
      if (typeof name !== 'string' || serviceName(name) === null) {
        problems.push(`targets[${i}].expect.${port}: unknown service ${JSON.stringify(name)}`);
      }
    }
  });
  if (problems.length)
    throw new PortdriftError('PD_USAGE', `invalid probe targets: ${problems.join('; ')}`, { details: { problems } });
}

type HostSpec = { declared: number[]; discovery: number[]; expect: Map<number, ServiceName> };

const newHost = (): HostSpec => ({
  declared: [] as number[],
  discovery: [] as number[],
  expect: new Map<number, ServiceName>(),
});

/** Probe targets; see types.ts for the contract. `lookup` replaces DNS in tests. */
export async function probeTargets(
  targets: readonly ProbeTarget[],
  options: ProbeOptions = {},
  lookup?: LookupFn,
): Promise<ProbeRun> {
  checkOptions(options);
  checkTargets(targets);
  const started = performance.now();
  // Merge repeated hosts at their first occurrence.
  const hosts = new Map<string, HostSpec>();
  for (const t of targets) {
    const h = hosts.get(t.host) ?? newHost();
    h.declared.push(...t.declared);
    h.discovery.push(...t.discovery);
    for (const [port, name] of Object.entries(t.expect ?? {})) h.expect.set(Number(port), serviceName(name)!);
    hosts.set(t.host, h);
  }
  const resolved = await resolveAll([...hosts.keys()], lookup);

  // One job per distinct address, for the union of the ports of every name that resolved to it.
  const skipped: ProbeRun['skipped'] = [];
  const excluded: NonNullable<ProbeRun['excluded']> = [];
  const plan: { host: string; ip: string | null; error?: string }[] = [];
  const byIp = new Map<string, { family: 4 | 6; declared: number[]; discovery: number[] }>();
  for (const [host, spec] of hosts) {
    const r = resolved.get(host)!;
    if ('error' in r) {
      plan.push({ host, ip: null, error: r.error });
      continue;
    }
    for (const a of r.addresses) {
      if (options.exclude?.(a.ip, host)) {
        excluded.push({ host, ip: a.ip });
        continue;
      }
      const refusal = options.admit?.(a.ip, host) ?? null;
      if (refusal !== null) {
        skipped.push({ host, ip: a.ip, reason: refusal });
        continue;
      }
      plan.push({ host, ip: a.ip });
      const j = byIp.get(a.ip) ?? { family: a.family, declared: [], discovery: [] };
      j.declared.push(...spec.declared);
      j.discovery.push(...spec.discovery);
      byIp.set(a.ip, j);
    }
  }
  const jobs: AddressJob[] = [...byIp].map(([ip, j]) => ({
    ip,
    family: j.family,
    ...probeOrder(j.declared, j.discovery),
  }));
  const total = jobs.reduce((n, j) => n + j.ports.length, 0);

  const window = windowSize(readBudgets(options.nofileLimit), total, options.concurrency);
  const timeoutCapMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const settings: ShardSettings = {
    window,
    timeoutCapMs,
    timeoutFloorMs: Math.min(TIMEOUT_FLOOR_MS, timeoutCapMs),
    retries: options.retries ?? DEFAULT_RETRIES,
    perHostRate: options.perHostRate ?? DEFAULT_PER_HOST_RATE,
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
    cwndInit: Math.min(window, 64),
    cwndMin: Math.min(window, 8),
    cwndMax: window,
  };
  const stream = options.onResult ? resultStream(jobs, plan, hosts, options) : null;
  const results = await runJobs(jobs, settings, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress || stream
      ? {
          onProgress: (done: number) => {
            stream?.poll();
            options.onProgress?.(done, total);
          },
        }
      : {}),
    ...(stream ? { onStart: (arrays: readonly ShardHost[]) => stream.attach(arrays) } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });

  const keepClosed = options.closedResults !== false;
  const byJob = new Map<string, { job: AddressJob; result: ShardHostResult }>(
    jobs.map((job, i) => [job.ip, { job, result: results[i]! }]),
  );
  const position = new Int32Array(65536).fill(-1);
  const sweeps: HostSweep[] = [];
  const summary: ProbeSummary = { probes: 0, open: 0, closed: 0, filtered: 0, unreachable: 0, seconds: 0 };
  for (const p of plan) {
    if (p.ip === null) {
      sweeps.push({ host: p.host, ip: null, error: p.error!, ports: [], results: [] });
      continue;
    }
    const { job, result } = byJob.get(p.ip)!;
    // position[port] = index in the job's probe order; set for this job only and reset after,
    // so a run over thousands of addresses costs O(ports), not O(65536) per sweep.
    for (let i = 0; i < job.ports.length; i++) position[job.ports[i]!] = i;
    const spec = hosts.get(p.host)!;
    const wanted = [...new Set([...spec.declared, ...spec.discovery])].sort((a, b) => a - b);
    const ports: number[] = [];
    const out: ProbeResult[] = [];
    for (const port of wanted) {
      const i = position[port]!;
      const code = i < 0 ? Code.Unprobed : result.state[i]!;
      const state = STATES[code];
      if (!state) continue;
      const rtt = result.rtt[i]!;
      ports.push(port);
      summary.probes++;
      summary[state]++;
      if (state === 'closed' && !keepClosed) continue;
      out.push({
        host: p.host,
        ip: p.ip,
        port,
        state,
        rttMs:
          Number.isNaN(rtt) || state === 'filtered' || state === 'unreachable' ? null : Math.round(rtt * 1000) / 1000,
        attempts: result.attempts[i]!,
      });
    }
    for (let i = 0; i < job.ports.length; i++) position[job.ports[i]!] = -1;
    sweeps.push({ host: p.host, ip: p.ip, ...(result.error ? { error: result.error } : {}), ports, results: out });
  }
  stream?.poll(true);
  if (options.fingerprint) await fingerprintOpen(sweeps, hosts, options);
  stream?.finish(sweeps);
  summary.seconds = Math.round(performance.now() - started) / 1000;
  return { sweeps, summary, skipped, ...(options.exclude ? { excluded } : {}) };
}

/** A separate pass over the open results (the connect engine above is not involved). */
async function fingerprintOpen(
  sweeps: readonly HostSweep[],
  hosts: ReadonlyMap<string, HostSpec>,
  options: ProbeOptions,
): Promise<void> {
  const open =
    options.fingerprintPorts === 'expected'
      ? sweeps.flatMap((s) => expectedOpen(s, hosts.get(s.host)))
      : sweeps.flatMap((s) => s.results.filter((r) => r.state === 'open'));
  if (open.length === 0) return;
  const targets = open.map((r): FingerprintTarget => {
    const expect = hosts.get(r.host)?.expect.get(r.port);
    return { host: r.host, ip: r.ip, port: r.port, rttMs: r.rttMs, ...(expect ? { expect } : {}) };
  });
  const settings = typeof options.fingerprint === 'object' ? options.fingerprint : {};
  const reports = await fingerprintAll(targets, { ...settings, ...(options.signal ? { signal: options.signal } : {}) });
  reports.forEach((rep, i) => {
    if (rep) open[i]!.fingerprint = rep.fingerprint;
  });
}

/**
 * The open ports of one sweep that `fingerprintPorts: 'expected'` names: those expecting a
 * service, and the open undeclared ports near an expecting port that is not open.
 */
function expectedOpen(s: HostSweep, spec: HostSpec | undefined): ProbeResult[] {
  if (!spec || spec.expect.size === 0) return [];
  const openPorts = new Set(s.results.filter((r) => r.state === 'open').map((r) => r.port));
  const declared = new Set(spec.declared);
  const gone = [...spec.expect.keys()].filter((p) => !openPorts.has(p));
  const near = (port: number) => gone.some((p) => Math.abs(p - port) <= MOVE_WINDOW);
  return s.results.filter(
    (r) => r.state === 'open' && (spec.expect.has(r.port) || (!declared.has(r.port) && near(r.port))),
  );
}

/** The stream of `onResult`: which names each address answers for, and their ports. */
function resultStream(
  jobs: readonly AddressJob[],
  plan: readonly { host: string; ip: string | null }[],
  hosts: ReadonlyMap<string, HostSpec>,
  options: ProbeOptions,
): ResultStream {
  const names = new Map<string, { host: string; ports: Set<number> }[]>();
  for (const p of plan) {
    if (p.ip === null) continue;
    const spec = hosts.get(p.host)!;
    const list = names.get(p.ip) ?? [];
    list.push({ host: p.host, ports: new Set([...spec.declared, ...spec.discovery]) });
    names.set(p.ip, list);
  }
  return new ResultStream(jobs, names, options.onResult!, {
    closed: options.closedResults !== false,
    earlyOpen: !options.fingerprint,
  });
}
