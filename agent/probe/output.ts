// A probe run as `portdrift probe` prints it: docs/design/probe-engine.md#output (json, version 1) or a
// table. Results are every non-closed result unless `all`, in host then port order (sweeps are
// already in host order and each sweep's results in port order).
import type { Fingerprint, ProbeOutput, ProbeResult, ProbeSummary } from '../../shared/types.js';
import type { ProbeRun } from './types.js';

export function probeOutput(run: ProbeRun, all: boolean): ProbeOutput {
  const results: ProbeResult[] = [];
  for (const s of run.sweeps) for (const r of s.results) if (all || r.state !== 'closed') results.push(r);
  return { version: 1, results, summary: run.summary };
}

export function formatProbeJson(out: ProbeOutput): string {
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** A fingerprint in one table cell: `http nginx/1.22.1`, `tls CN=db.internal self-signed expires 2027-01-05`. */
export function serviceCell(fp: Fingerprint | undefined): string {
  if (!fp) return '-';
  if (fp.service === 'unknown') return 'unknown';
  const parts: string[] = [fp.service];
  if (fp.product) parts.push(fp.version ? `${fp.product}/${fp.version}` : fp.product);
  else if (fp.version) parts.push(fp.version);
  if (fp.tls) {
    const cn = /(?:^|, )CN=([^,]+)/.exec(fp.tls.subject)?.[1];
    if (cn) parts.push(`CN=${cn}`);
    if (fp.tls.selfSigned) parts.push('self-signed');
    parts.push(`${Date.parse(fp.tls.notAfter) < Date.now() ? 'expired' : 'expires'} ${fp.tls.notAfter.slice(0, 10)}`);
    if (fp.tls.hostMatch === false) parts.push('(certificate names another host)');
  }
  return parts.join(' ');
}

/**
 * JSON Lines for `jq` and log shippers: one `{"type":"result",…}` object per result, then one
 * `{"type":"summary",…}` object (the summary, and how many addresses --exclude left out).
 */
export function formatProbeJsonl(out: ProbeOutput, excluded = 0): string {
  return out.results.map(probeResultLine).join('') + probeSummaryLine(out.summary, excluded);
}

/** One result's jsonl line (written as the result is known, `probe --format jsonl`). */
export function probeResultLine(r: ProbeResult): string {
  return `${JSON.stringify({ type: 'result', ...r })}\n`;
}

/** The closing jsonl line. */
export function probeSummaryLine(summary: ProbeSummary, excluded = 0): string {
  return `${JSON.stringify({ type: 'summary', ...summary, excluded })}\n`;
}

export function formatProbeTable(out: ProbeOutput): string {
  // The SERVICE column appears when the run fingerprinted (some open result carries one).
  const services = out.results.some((r) => r.fingerprint !== undefined);
  const rows = out.results.map((r) => [
    ...[r.host, r.ip, String(r.port), r.state, r.rttMs === null ? '-' : `${r.rttMs.toFixed(1)}ms`, String(r.attempts)],
    ...(services ? [r.state === 'open' ? serviceCell(r.fingerprint) : '-'] : []),
  ]);
  const header = ['HOST', 'IP', 'PORT', 'STATE', 'RTT', 'TRIES', ...(services ? ['SERVICE'] : [])];
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  const s = out.summary;
  const total =
    `${s.probes} probes in ${s.seconds}s: ${s.open} open, ${s.closed}` +
    ` closed, ${s.filtered} filtered, ${s.unreachable} unreachable\n`;
  if (rows.length === 0) return `no open, filtered or unreachable port\n${total}`;
  return `${[line(header), ...rows.map(line)].join('\n')}\n${total}`;
}

/** One line per host or address that could not be probed, and per address refused, for stderr. */
export function probeProblems(run: ProbeRun): string[] {
  const lines: string[] = [];
  for (const s of run.sweeps)
    if (s.error)
      lines.push(
        s.ip === null
          ? `${s.error} [PD_DNS]`
          : `${s.host} (${s.ip}): ${s.error}${s.results.length ? '' : ' [PD_PROBE_LOCAL]'}`,
      );
  for (const k of run.skipped)
    lines.push(
      `${k.host} (${k.ip}) not probed: ${k.reason} (--allow-special ` +
        `${k.ip.includes(':') ? `${k.ip}/128` : `${k.ip}/32`}) [PD_TARGET_REFUSED]`,
    );
  return lines;
}
