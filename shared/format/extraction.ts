// The declared model for people and machines: `portdrift extract --format json|table`.
// JSON is docs/design/iac-extraction.md#extraction-output version 1 plus the `unresolved` array; the internal
// `origin` of an endpoint (what `portdrift fix` edits) is not part of it. The table lists one
// row per endpoint, then what could not be resolved; problems go to stderr (`problemsSummary`).
import type { DeclaredEndpoint, DeclaredModel, ExtractionOutput, Problem } from '../types.js';
import { oneLine } from './safe-text.js';

export function toExtractionOutput(model: DeclaredModel): ExtractionOutput {
  return {
    version: 1,
    resources: model.resources.map((r) => ({
      address: r.address,
      type: r.type,
      source: { ...r.source },
      hosts: [...r.hosts],
    })),
    // `origin` is internal (what `fix` edits); a rule's `direction` and the service a port is
    // expected to speak (`expect`, with the IaC line that implies it) are part of the output.
    endpoints: model.endpoints.map(({ origin: _origin, sources: _sources, ...e }) => ({
      ...e,
      source: { ...e.source },
    })),
    unresolved: model.unresolved.map((u) => ({ ...u, source: { ...u.source } })),
    problems: model.problems.map((p) => ({ ...p })),
  };
}

export function formatExtractionJson(model: DeclaredModel): string {
  return `${JSON.stringify(toExtractionOutput(model), null, 2)}\n`;
}

/** `allow` rules say which way they permit traffic: `allow in` / `allow out` (egress is never exposure). */
function roleText(e: DeclaredEndpoint): string {
  return e.direction === 'ingress' ? `${e.role} in` : e.direction === 'egress' ? `${e.role} out` : e.role;
}

function portText(e: DeclaredEndpoint): string {
  return e.toPort !== undefined ? `${e.port}-${e.toPort}` : String(e.port);
}

/**
 * Left-aligned columns, two spaces apart; the last column is not padded. Every cell is made one
 * safe line first (resource names, hosts and banners come from files and the network), so a
 * line break cannot add a row and a control character cannot reach the terminal.
 */
export function columns(cells: string[][]): string {
  const rows = cells.map((r) => r.map(oneLine));
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const where = (s: { file: string; line?: number }): string => (s.line ? `${s.file}:${s.line}` : s.file);

export function formatExtractionTable(model: DeclaredModel): string {
  const out: string[] = [];
  if (model.endpoints.length > 0) {
    out.push(
      columns([
        ['RESOURCE', 'HOST', 'PORT', 'PROTO', 'ROLE', 'SOURCE'],
        ...model.endpoints.map((e) => [
          e.resource,
          e.host ?? '-',
          portText(e),
          e.protocol,
          roleText(e),
          where(e.source),
        ]),
      ]),
    );
  } else {
    out.push('No endpoints declared.');
  }
  const noPorts = model.resources.filter((r) => !model.endpoints.some((e) => e.resource === r.address));
  if (noPorts.length > 0) {
    out.push(
      '',
      'Resources without a resolved port:',
      columns(noPorts.map((r) => [`  ${r.address}`, r.type, where(r.source)])),
    );
  }
  if (model.unresolved.length > 0) {
    out.push(
      '',
      'Unresolved (not known before deployment; listed, never guessed):',
      columns(model.unresolved.map((u) => [`  ${u.resource}`, u.attribute, u.expression, where(u.source)])),
    );
  }
  const hosts = new Set(model.endpoints.map((e) => e.host).filter((h) => h !== null));
  out.push(
    '',
    `${count(model.resources.length, 'resource')}, ${count(model.endpoints.length, 'endpoint')} on ` +
      `${count(hosts.size, 'host')}, ${model.endpoints.filter((e) => e.host === null).length} without ` +
      `a host, ${model.unresolved.length} unresolved, ${count(model.problems.length, 'problem')}`,
  );
  return `${out.join('\n')}\n`;
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** For stderr: one line per problem, `file:line: message [CODE]`, under a count. */
export function problemsSummary(problems: readonly Problem[]): string {
  if (problems.length === 0) return '';
  const lines = problems.map(
    (p) =>
      `  ${oneLine(where(p))}: ` +
      `${p.severity === 'warning' ? 'warning: ' : ''}${oneLine(p.message)}${p.code ? ` [${p.code}]` : ''}`,
  );
  return (
    `portdrift: ${problems.length} problem${problems.length === 1 ? '' : 's'}` +
    ` (everything else was extracted):\n${lines.join('\n')}\n`
  );
}
