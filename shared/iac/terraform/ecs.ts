// ECS `container_definitions` (docs/design/iac-extraction.md#ecs-container-definitions) is JSON text, written
// as `jsonencode([...])` (parsed by expr.ts, so `containerPort = var.port` resolves with its
// origin), as a heredoc or plain string holding JSON (JSON.parse), or via `file()` /
// `templatefile()` (not read: unresolved). Each `portMappings[].containerPort` is a listen port;
// a `hostPort` that differs from it (bridge mode) is one too. Lines come from the k-th
// `containerPort` key inside the attribute's text (docs/design/iac-extraction.md#keys-inside-expressions).
import { attr, type Attr, type Block } from './block.js';
import { fromPlain, index, type Origin, type Value } from './eval.js';
import { endpoint, literal, readPort, type Emit } from './emit.js';
import { findKey } from './hcl/locate.js';

export function containerPorts(e: Emit, b: Block): void {
  const a = attr(b, 'container_definitions');
  if (!a) return;
  let defs: Value = a.value;
  if (defs.t === 'lit' && typeof defs.v === 'string') {
    try {
      defs = fromPlain(JSON.parse(defs.v));
    } catch {
      e.model.problems.push({
        file: e.file,
        line: a.line,
        code: 'PD_IAC_SHAPE',
        message: `${e.address}: container_definitions is not valid JSON`,
      });
      return;
    }
  }
  if (defs.t === 'unknown') {
    readPort(e, a);
    return;
  }
  if (defs.t !== 'list') return;
  const seen: Record<string, number> = {};
  const lineOfKey = (key: string): number => {
    const k = seen[key] ?? 0;
    seen[key] = k + 1;
    if (!a.span) return a.line;
    // A key written once inside a `for` expression serves every element it produces.
    const once = findKey(b.mf.text, a.span.start, a.span.end, key, 1) === undefined;
    const at = findKey(b.mf.text, a.span.start, a.span.end, key, once ? 0 : k);
    return at === undefined ? a.line : b.mf.lineAt(at);
  };
  defs.items.forEach((c, ci) => {
    const mappings = index(c, 'portMappings');
    if (mappings?.t !== 'list') return;
    mappings.items.forEach((m, mi) => {
      const protocol = literal(index(m, 'protocol'))?.toLowerCase() === 'udp' ? 'udp' : 'tcp';
      const container = index(m, 'containerPort');
      const host = index(m, 'hostPort');
      const base = `container_definitions[${ci}].portMappings[${mi}].`;
      let cport: number | undefined;
      if (container) {
        const line = lineOfKey('containerPort');
        const p = readPort(e, sub(a, `${base}containerPort`, line, container), container);
        if (p) {
          cport = p.port;
          endpoint(e, p.port, 'listen', protocol, line, originAt(e, p.origin, line, container));
        }
      }
      if (host) {
        const line = lineOfKey('hostPort');
        // hostPort 0 is ephemeral (docs/design/iac-extraction.md#ports-known-only-after-deployment).
        if (literal(host) === '0') return;
        const p = readPort(e, sub(a, `${base}hostPort`, line, host), host);
        if (p && p.port !== cport) endpoint(e, p.port, 'listen', protocol, line, originAt(e, p.origin, line, host));
      }
    });
  });
}

function sub(a: Attr, attribute: string, line: number, v: Value): Attr {
  return { ...a, attribute, line, value: v, expression: v.t === 'unknown' ? `\${${v.expr}}` : a.expression };
}

/** Values parsed from JSON text carry no origin: they are written at the key's line. */
function originAt(e: Emit, o: Origin | undefined, line: number, v: Value): Origin | undefined {
  if (o) return o;
  const text = literal(v);
  return text === undefined ? undefined : { kind: 'literal', file: e.file, line, text };
}
