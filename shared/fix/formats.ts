// Format-aware rules of `portdrift fix` for values the extractors record by line only (no
// ValueOrigin.text): the Compose port syntaxes, where the listening port is the container part
// of a mapping (`"8080:80"`, `"80:80"`, `"127.0.0.1:8080:80/tcp"`, flow lists on one line), and
// the Kubernetes cases where the number on the line is not the one that moved (an implied
// targetPort). Everything else goes through the generic literal rewrite (literal.ts).
import { parseShortPort } from '../iac/compose-ports.js';
import { type LiteralEdit, portOccurrences } from './literal.js';

// A quoted scalar, or a bare one (a flow-list item or a `- value` / `key: value` value).
const TOKEN = /"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|(?<=^\s*-\s+|[:[,]\s*)[0-9][0-9.:\-/a-z[\]]*(?=\s*(?:[,\]#]|$))/gi;

/** The line up to a YAML comment (` #` outside quotes). */
function withoutComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** Where the container part of a Compose short-syntax spec starts and ends, or null. */
function containerPart(spec: string, port: number): { start: number; end: number } | null {
  // Mask `${…}` with same-length filler so its own `:` and `/` do not split the spec.
  const masked = spec.replace(/\$\{[^}]*\}/g, (m) => 'x'.repeat(m.length));
  const parsed = parseShortPort(spec);
  if (parsed.target !== String(port)) return null;
  const slash = masked.lastIndexOf('/');
  const end = slash >= 0 ? slash : masked.length;
  const start = masked.lastIndexOf(':', end - 1) + 1;
  return masked.slice(start, end) === String(port) ? { start, end } : null;
}

/**
 * Rewrite the container port `from` of a Compose `ports` / `expose` entry on `line` to `to`.
 * Every quoted or bare port spec on the line is parsed as Compose does; exactly one must have
 * `from` as its container part. `undefined` when the line holds no such spec (then the generic
 * rules decide, and say why).
 */
export function rewriteComposePort(line: string, from: number, to: number): LiteralEdit | undefined {
  const hits: Array<{ start: number; end: number }> = [];
  for (const m of withoutComment(line).matchAll(TOKEN)) {
    const quoted = m[0].startsWith('"') || m[0].startsWith("'");
    const inner = quoted ? m[0].slice(1, -1) : m[0];
    if (!portOccurrences(inner, from).length) continue;
    const part = containerPart(inner, from);
    if (part)
      hits.push({ start: m.index! + (quoted ? 1 : 0) + part.start, end: m.index! + (quoted ? 1 : 0) + part.end });
  }
  if (hits.length === 0) return undefined;
  if (hits.length > 1)
    return {
      ok: false,
      reason: `${hits.length} port specs on that line have container port ${from}; which one is meant is ambiguous`,
    };
  const [h] = hits;
  return { ok: true, line: line.slice(0, h!.start) + String(to) + line.slice(h!.end) };
}

/**
 * A Kubernetes workload's port that comes from a Service line reading `port: N`: the Service
 * writes no targetPort, so the pods' port is the Service's own port. Editing that number would
 * move the Service port (what clients connect to) as well, so it is refused with what to do.
 */
export function impliedTargetPort(resource: string, line: string, from: number, to: number): string | undefined {
  if (!resource.startsWith('k8s:') || resource.startsWith('k8s:Service/')) return undefined;
  if (!/^\s*(?:-\s+)?["']?port["']?\s*:/.test(line) || portOccurrences(line, from).length === 0) return undefined;
  return (
    `the Service writes no targetPort, so it is the Service's own \`port\` (${from}); ` +
    `changing that would move the Service port as well: add \`targetPort: ${to}\` under it`
  );
}
