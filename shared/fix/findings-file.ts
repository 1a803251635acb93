// Reads the findings a `fix --from FILE` works on: the JSON that `portdrift scan --format json`
// or `portdrift drift --format json` printed (DriftReport, version 1). Only what fix needs is
// checked, and every problem names the file.
import { readFile } from 'node:fs/promises';
import { PortdriftError } from '../errors.js';
import { isPort } from '../ports.js';
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
    throw new PortdriftError(
      'PD_USAGE',
      `--from ${shown}: not JSON (${(err as Error).message}); expected the output ` +
        `of \`portdrift scan --format json\` or \`portdrift drift --format json\``,
    );
  }
  const d = doc as { version?: unknown; findings?: unknown };
  if (typeof doc !== 'object' || doc === null || d.version !== 1 || !Array.isArray(d.findings)) {
    throw new PortdriftError(
      'PD_USAGE',
      `--from ${shown}: not a portdrift report (expected {"version": 1, "findings": [...]})`,
    );
  }
  // Every field fix relies on, each problem named: a saved file may have been edited by hand, and
  // an observedPort that is not a port would be written into the IaC.
  const problems: string[] = [];
  d.findings.forEach((f: unknown, i) => {
    const at = `findings[${i}]`;
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return void problems.push(`${at}: not an object`);
    const x = f as Record<string, unknown>;
    for (const key of ['id', 'kind', 'resource', 'host'] as const)
      if (typeof x[key] !== 'string' || x[key] === '') problems.push(`${at}.${key}: must be a non-empty string`);
    if (!isPort(x.port)) problems.push(`${at}.port: must be a port number (1-65535), got ${JSON.stringify(x.port)}`);
    if (x.observedPort !== undefined) {
      if (!isPort(x.observedPort))
        problems.push(`${at}.observedPort: must be a port number (1-65535), got ${JSON.stringify(x.observedPort)}`);
      else if (x.observedPort === x.port) problems.push(`${at}.observedPort: equals port (${x.port}): nothing moved`);
    }
  });
  if (problems.length > 0)
    throw new PortdriftError(
      'PD_USAGE',
      `--from ${shown}: ` +
        `${problems.slice(0, 20).join('; ')}${problems.length > 20 ? `; … (${problems.length} problems)` : ''}`,
      { details: { problems } },
    );
  const r = doc as Partial<DriftReport>;
  return {
    version: 1,
    generatedAt: typeof r.generatedAt === 'string' ? r.generatedAt : new Date(0).toISOString(),
    summary: r.summary ?? { resources: 0, endpoints: 0, observed: 0, findings: d.findings.length, byKind: {} },
    findings: d.findings as Finding[],
  };
}
