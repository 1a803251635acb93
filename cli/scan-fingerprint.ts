// Which open ports a scan fingerprints, and the pass itself (agent/fingerprint, after the sweep).
// By default only the declared ports whose IaC names a service (an RDS engine, a target group
// protocol, a Compose image): that is what `wrong-service` needs, and it costs about one round
// trip per such open port. `--fingerprint` names every open port (discovery included), so
// `undeclared` findings say what answers and `moved` prefers a candidate of the expected service;
// `--no-fingerprint` sends nothing but connects.
import type { ProbeRun } from '../agent/probe/index.js';
import type { ProbeResult, ServiceName } from '../shared/types.js';

/**
 * One port's whole fingerprinting may take this long in a scan (the probe's default is 1 s). A
 * port that answers its expected hello costs one round trip whatever this is; the wait matters
 * exactly when it does not (redis on a postgres port: the SSLRequest goes unanswered, then the
 * other hellos are tried), and an `unknown` there would hide the wrong-service finding.
 */
export const SCAN_DEADLINE_MS = 3000;

export type FingerprintMode = 'expected' | 'all' | 'off';

/** `--fingerprint` → all, `--no-fingerprint` → off, neither → expected. */
export function fingerprintMode(flag: boolean | undefined): FingerprintMode {
  return flag === true ? 'all' : flag === false ? 'off' : 'expected';
}

/** Sets `fingerprint` on the open results the mode selects; returns how many were fingerprinted. */
export async function fingerprintScan(
  run: ProbeRun,
  targets: readonly { host: string; expect?: Record<number, ServiceName> }[],
  mode: FingerprintMode,
  signal: AbortSignal,
): Promise<number> {
  if (mode === 'off') return 0;
  const expect = new Map(targets.map((t) => [t.host, t.expect ?? {}]));
  const chosen: Array<{ r: ProbeResult; expect: ServiceName | undefined }> = [];
  for (const s of run.sweeps) {
    for (const r of s.results) {
      if (r.state !== 'open' || r.fingerprint) continue;
      const want = expect.get(r.host)?.[r.port];
      if (mode === 'all' || want) chosen.push({ r, expect: want });
    }
  }
  if (chosen.length === 0 || signal.aborted) return 0;
  const { fingerprintAll } = await import('../agent/fingerprint/runner.js');
  const targetsOf = chosen.map(({ r, expect: want }) => {
    const { host, ip, port, rttMs } = r;
    return { host, ip, port, rttMs, ...(want ? { expect: want } : {}) };
  });
  const reports = await fingerprintAll(targetsOf, { signal, deadlineMs: SCAN_DEADLINE_MS });
  let n = 0;
  reports.forEach((rep, i) => {
    if (!rep) return;
    chosen[i]!.r.fingerprint = rep.fingerprint;
    n++;
  });
  return n;
}
