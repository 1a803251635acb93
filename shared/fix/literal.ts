// Rewrites one port number inside one line of IaC text, or explains why it will not. This is
// the safety core of `portdrift fix`: it edits only a plain literal (a number, or a quoted
// string of a port mapping such as "8080:80/tcp"), and only when exactly one occurrence of the
// old port on that line can be meant. Anything computed — an interpolation, a reference, an
// intrinsic function, arithmetic — is refused, because changing a number inside an expression
// changes what the expression means in ways a text edit cannot check.

export type LiteralEdit = { ok: true; line: string } | { ok: false; reason: string };

// Markers of values computed at plan / deploy time, in the syntaxes portdrift extracts:
// HCL interpolation and references, CloudFormation intrinsics, Helm/Go templates, Compose
// variable substitution, arithmetic and function calls.
const EXPRESSION = new RegExp(
  [
    /\$\{|\{\{|%\{/, // interpolation: HCL, Helm/Go templates, HCL directives
    /\b(?:var|local|module|data|each|count|self|path|terraform)\./, // HCL references
    /\bFn::|!(?:Ref|Sub|GetAtt|Join|Select|FindInMap|If|ImportValue)\b|\bRef\b/, // CloudFormation intrinsics
    /\$[A-Za-z_]/, // Compose variable substitution
    /[()+*?]|\s-\s/, // arithmetic and function calls
  ]
    .map((r) => r.source)
    .join('|'),
);

// A plain literal port value: digits, optionally a mapping with host part / protocol
// ("127.0.0.1:8080:80/tcp"), optionally quoted.
const PLAIN = /^(["']?)[0-9.:\-/a-z]*\1$/;

/** Occurrences of `port` as a whole number in `text` (not part of a longer number). */
export function portOccurrences(text: string, port: number): number[] {
  const out: number[] = [];
  const re = new RegExp(`(?<![0-9])${port}(?![0-9])`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m.index);
  return out;
}

/** The value part of a `key = value`, `key: value`, `"key": value,` or `- value` line, without comments. */
function valuePart(line: string): { value: string; at: number } | null {
  const m = /^\s*(?:-\s+)?(?:(?:"[^"]*"|'[^']*'|[\w.\-[\]]+)\s*[:=]\s*)?(.*?)\s*,?\s*(?:(?:#|\/\/).*)?$/d.exec(line);
  return m?.indices?.[1] ? { value: m[1]!, at: m.indices[1][0] } : null;
}

/**
 * Replace `from` with `to` on `line`. `text` is the literal as the extractor recorded it
 * (ValueOrigin.text) when known: then exactly that literal is edited; otherwise the line must
 * be a plain `key = value` assignment or list item whose value is a literal.
 */
export function rewritePort(line: string, from: number, to: number, text?: string): LiteralEdit {
  if (text !== undefined) {
    const literal = text.trim();
    if (EXPRESSION.test(literal) || !PLAIN.test(literal))
      return { ok: false, reason: `the value \`${literal}\` is an expression, not a literal` };
    const inText = portOccurrences(literal, from);
    if (inText.length !== 1)
      return { ok: false, reason: `the literal \`${literal}\` does not hold port ${from} exactly once` };
    const at = line.indexOf(literal);
    if (at === -1)
      return {
        ok: false,
        reason: `the literal \`${literal}\` is no longer on that line (the file changed since it was read)`,
      };
    if (line.indexOf(literal, at + 1) !== -1)
      return {
        ok: false,
        reason:
          `the literal \`${literal}\` appears more than once on that ` +
          `line (\`${line.trim()}\`); which one is meant is ambiguous`,
      };
    const replaced = literal.slice(0, inText[0]) + String(to) + literal.slice(inText[0]! + String(from).length);
    return { ok: true, line: line.slice(0, at) + replaced + line.slice(at + literal.length) };
  }
  const found = valuePart(line);
  const value = found?.value ?? '';
  if (EXPRESSION.test(value)) return { ok: false, reason: `the value \`${value}\` is an expression, not a literal` };
  // A name where a number is expected (a Kubernetes named targetPort such as `http`).
  if (
    found !== null &&
    /port["']?\s*[:=]/i.test(line) &&
    /^(["']?)[A-Za-z][A-Za-z0-9-]*\1$/.test(value) &&
    portOccurrences(line, from).length === 0
  ) {
    const name = value.replace(/^["']|["']$/g, '');
    return {
      ok: false,
      reason:
        `\`${name}\` is a port name, not a number: edit the port ` +
        `where that name is declared (the containerPort named ${name})`,
    };
  }
  if (found === null || value === '' || portOccurrences(line, from).length === 0) {
    return {
      ok: false,
      reason:
        `port ${from} is not written on that line (the port is ` +
        `a default of the resource type, or is set elsewhere)`,
    };
  }
  if (!PLAIN.test(value)) return { ok: false, reason: `the value \`${value}\` is not a plain literal` };
  const hits = portOccurrences(value, from);
  if (hits.length === 0)
    return {
      ok: false,
      reason: `port ${from} is not written on that line (the port is a default or is set elsewhere)`,
    };
  if (hits.length > 1)
    return {
      ok: false,
      reason: `port ${from} appears more than once in \`${value}\`; which one is meant is ambiguous`,
    };
  const start = found.at + hits[0]!;
  return { ok: true, line: line.slice(0, start) + String(to) + line.slice(start + String(from).length) };
}
