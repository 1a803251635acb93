// Scanning the body of a quoted string or heredoc into literal text, `${…}` interpolations and
// `%{…}` directives (their spans; template-tree.ts parses them and nests if / else / endif and for /
// endfor). `$${` and `%%{` are escapes; backslash escapes apply to quoted strings only.

export type Directive = 'if' | 'else' | 'endif' | 'for' | 'endfor';

export type TemplatePart =
  | { lit: string }
  | { s: number; e: number; stripBefore: boolean; stripAfter: boolean; dir?: Directive };

const DIRECTIVE = /^\s*(if|else|endif|for|endfor)\b/;

export function scanTemplate(text: string, s: number, e: number, quoted: boolean): TemplatePart[] | 'directive' {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = s;
  while (i < e) {
    const c = text[i]!;
    if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') {
      lit += `${c}{`;
      i += 3;
    } else if ((c === '$' || c === '%') && text[i + 1] === '{') {
      const close = closingBrace(text, i + 2, e);
      let from = i + 2;
      let to = close;
      const stripBefore = text[from] === '~';
      if (stripBefore) from++;
      const stripAfter = text[to - 1] === '~';
      if (stripAfter) to--;
      if (lit) parts.push({ lit });
      lit = '';
      if (c === '%') {
        const m = DIRECTIVE.exec(text.slice(from, to));
        if (!m) return 'directive';
        parts.push({ s: from + m[0].length, e: to, stripBefore, stripAfter, dir: m[1] as Directive });
      } else parts.push({ s: from, e: to, stripBefore, stripAfter });
      i = close + 1;
    } else if (c === '\\' && quoted) {
      const n = text[i + 1];
      if (n === 'u' || n === 'U') {
        const len = n === 'u' ? 4 : 8;
        lit += String.fromCodePoint(parseInt(text.slice(i + 2, i + 2 + len), 16) || 0xfffd);
        i += 2 + len;
      } else {
        lit += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : (n ?? '');
        i += 2;
      }
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) parts.push({ lit });
  // Strip markers (`${~ x ~}`) remove the whitespace next to them.
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    if ('lit' in p) continue;
    const prev = parts[k - 1];
    const next = parts[k + 1];
    if (p.stripBefore && prev && 'lit' in prev) prev.lit = prev.lit.trimEnd();
    if (p.stripAfter && next && 'lit' in next) next.lit = next.lit.trimStart();
  }
  return parts;
}

/** Index of the `}` closing an interpolation whose body starts at `i`; nested strings and brackets are skipped. */
function closingBrace(text: string, i: number, end: number): number {
  let depth = 0;
  for (let j = i; j < end; j++) {
    const c = text[j]!;
    if (c === '"') {
      j++;
      while (j < end && text[j] !== '"') {
        if (text[j] === '\\') j++;
        else if (text[j] === '$' && text[j + 1] === '{') j = closingBrace(text, j + 2, end);
        j++;
      }
    } else if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '}') {
      if (depth === 0) return j;
      depth--;
    }
  }
  return end;
}
