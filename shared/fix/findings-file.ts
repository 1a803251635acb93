// Reads the findings a `fix --from FILE` works on: the JSON that `portdrift scan --format json`
// or `portdrift drift --format json` printed (DriftReport, version 1). Only what fix needs is
// checked, and every problem names the file.
import { readFile } from 'node:fs/promises';
import { PortdriftError } from '../errors.js';
import type { DriftReport, Finding } from '../types.js';

export async function readFindingsFile(path: string, shown = path): Promise<Finding[]> {
  return (await readSavedReport(path, shown)).findings;
}

/** The whole saved report; a missing summary or time (hand-written files) gets neutral defaults. */
export async function readSavedReport(path: string, shown = path): Promise<DriftReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PortdriftError('PD_USAGE', `--from ${shown}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PortdriftError('PD_USAGE', `--from ${shown}: not JSON (${(err as Error).message}); expected the output of \`portdrift scan --format json\` or \`portdrift drift --format json\``);
  }
  const d = doc as { version?: unknown; findings?: unknown };
  if (typeof doc !== 'object' || doc === null || d.version !== 1 || !Array.isArray(d.findings)) {
    throw new PortdriftError('PD_USAGE', `--from ${shown}: not a portdrift report (expected {"version": 1, "findings": [...]})`);
  }
  d.findings.forEach((f: unknown, i) => {
    const x = f as Partial<Finding>;
    const ok = typeof f === 'object' && f !== null && typeof x.id === 'string' && typeof x.kind === 'string' && typeof x.resource === 'string' && typeof x.host === 'string' && Number.isInteger(x.port) && (x.observedPort === undefined || Number.isInteger(x.observedPort));
    if (!ok) throw new PortdriftError('PD_USAGE', `--from ${shown}: findings[${i}] lacks id, kind, resource, host or port`);
  });
  const r = doc as Partial<DriftReport>;
  return {
    version: 1,
    generatedAt: typeof r.generatedAt === 'string' ? r.generatedAt : new Date(0).toISOString(),
    summary: r.summary ?? { resources: 0, endpoints: 0, observed: 0, findings: d.findings.length, byKind: {} },
    findings: d.findings as Finding[],
  };
}
