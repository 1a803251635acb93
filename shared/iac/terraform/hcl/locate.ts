// Lines for hcl2json's output, which has none (docs/design/iac-extraction.md#line-locator). One pass over the text
// that knows only HCL's lexical structure: comments, strings with nested `${…}` / `%{…}`,
// heredocs, blocks and attributes. A regex over the whole file would match inside strings,
// heredocs, comments and unrelated blocks.
//
// Paths line up with hcl2json's JSON: top-level blocks are `type.label…` without an index
// (`resource.aws_security_group.web`, `variable.db_port`, `locals`), nested blocks get `[i]`
// counted per block type and labels within their parent (`….ingress[1]`,
// `….dynamic.ingress[0].content[0]`), attributes append their name (`….ingress[1].from_port`).

export interface Located {
  /** 1-based line of the attribute name (or block header). */
  line: number;
  /** Offsets of the value expression: [start, end). */
  start: number;
  end: number;
}

export interface LineIndex {
  attrs: Map<string, Located>;
  blocks: Map<string, number>;
  lineAt(offset: number): number;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

interface Frame {
  path: string;
  counts: Map<string, number>;
}

export function locateHcl(text: string): LineIndex {
  const starts = lineStarts(text);
  const lineAt = (o: number): number => lineOf(starts, o);
  const attrs = new Map<string, Located>();
  const blocks = new Map<string, number>();
  const stack: Frame[] = [{ path: '', counts: new Map() }];
  let tokens: string[] = [];
  let tokenStart = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      tokens = [];
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/') || (c === '/' && text[i + 1] === '*')) {
      i = skipComment(text, i);
    } else if (c === '"') {
      const end = skipString(text, i);
      if (tokens.length === 0) tokenStart = i;
      tokens.push(text.slice(i + 1, end - 1));
      i = end;
    } else if (c === '=' && text[i + 1] !== '=') {
      const valueStart = i + 1;
      const end = skipExpression(text, valueStart);
      if (tokens.length === 1) {
        const frame = stack[stack.length - 1]!;
        attrs.set(join(frame.path, tokens[0]!), { line: lineAt(tokenStart), start: valueStart, end });
      }
      tokens = [];
      i = end;
    } else if (c === '{') {
      const frame = stack[stack.length - 1]!;
      let path: string;
      if (tokens.length === 0) {
        path = join(frame.path, '?');
      } else if (stack.length === 1) {
        path = tokens.join('.');
      } else {
        const key = tokens.join('.');
        const k = frame.counts.get(key) ?? 0;
        frame.counts.set(key, k + 1);
        path = `${join(frame.path, key)}[${k}]`;
      }
      if (!blocks.has(path)) blocks.set(path, lineAt(tokens.length ? tokenStart : i));
      stack.push({ path, counts: new Map() });
      tokens = [];
      i++;
    } else if (c === '}') {
      if (stack.length > 1) stack.pop();
      tokens = [];
      i++;
    } else {
      IDENT.lastIndex = i;
      const m = IDENT.exec(text);
      if (m) {
        if (tokens.length === 0) tokenStart = i;
        tokens.push(m[0]);
        i += m[0].length;
      } else {
        i++;
      }
    }
  }
  return { attrs, blocks, lineAt };
}

const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);

function skipComment(text: string, i: number): number {
  if (text[i] === '/' && text[i + 1] === '*') {
    const end = text.indexOf('*/', i + 2);
    return end === -1 ? text.length : end + 2;
  }
  const end = text.indexOf('\n', i);
  return end === -1 ? text.length : end;
}

/** From an opening `"` to just after its closing quote (or the end of the line, if unterminated). */
export function skipString(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length) {
    const c = text[j]!;
    if (c === '\\') j += 2;
    else if (c === '"') return j + 1;
    else if (c === '\n') return j;
    else if ((c === '$' || c === '%') && text[j + 1] === c && text[j + 2] === '{') j += 3;
    else if ((c === '$' || c === '%') && text[j + 1] === '{') j = skipBalanced(text, j + 2);
    else j++;
  }
  return j;
}

/** Inside `${…}` (after the `{`): to just after the matching `}`; strings and braces nest. */
function skipBalanced(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j]!;
    if (c === '"') j = skipString(text, j);
    else if (c === '<' && text[j + 1] === '<' && heredocAt(text, j)) j = skipHeredoc(text, j);
    else {
      if (c === '{' || c === '(' || c === '[') depth++;
      else if (c === ')' || c === ']') depth--;
      else if (c === '}') {
        if (depth === 0) return j + 1;
        depth--;
      }
      j++;
    }
  }
  return j;
}

const HEREDOC = /<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;

function heredocAt(text: string, i: number): RegExpExecArray | null {
  HEREDOC.lastIndex = i;
  return HEREDOC.exec(text);
}

/** From `<<ID` to the end of the terminator line (before its newline). */
function skipHeredoc(text: string, i: number): number {
  const m = heredocAt(text, i)!;
  const id = m[1]!;
  let j = i + m[0].length;
  while (j < text.length) {
    let eol = text.indexOf('\n', j);
    if (eol === -1) eol = text.length;
    if (text.slice(j, eol).trim() === id) return eol;
    j = eol + 1;
  }
  return text.length;
}

/**
 * From just after `=` to the end of the expression: a newline at bracket depth 0, or a `}` at
 * depth 0 that closes the enclosing block (one-line blocks such as `locals { a = 1 }`).
 */
export function skipExpression(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j]!;
    if (c === '"') j = skipString(text, j);
    else if (c === '<' && text[j + 1] === '<' && heredocAt(text, j)) j = skipHeredoc(text, j);
    else if (c === '#' || (c === '/' && (text[j + 1] === '/' || text[j + 1] === '*'))) {
      const end = skipComment(text, j);
      // A block comment spanning lines inside brackets is skipped whole; at depth 0 a line
      // comment ends the expression at its newline anyway.
      j = end;
    } else if (c === '\n') {
      if (depth === 0) return trimEnd(text, i, j);
      j++;
    } else if (c === '}' && depth === 0) {
      return trimEnd(text, i, j);
    } else {
      if (c === '{' || c === '(' || c === '[') depth++;
      else if (c === '}' || c === ')' || c === ']') depth--;
      j++;
    }
  }
  return trimEnd(text, i, j);
}

function trimEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(text[e - 1]!)) e--;
  return e;
}

/**
 * The line of the k-th (0-based) occurrence of `key` used as a key (`key =`, `key:`, `"key":`)
 * inside [start, end) of `text`, or undefined (docs/design/iac-extraction.md#keys-inside-expressions).
 */
export function findKey(text: string, start: number, end: number, key: string, k: number): number | undefined {
  const re = new RegExp(`(^|[\\s{,"])${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\s*[=:]`, 'g');
  const slice = text.slice(start, end);
  let m: RegExpExecArray | null;
  let seen = 0;
  while ((m = re.exec(slice))) {
    if (seen++ === k) return start + m.index + m[1]!.length;
  }
  return undefined;
}
