// A parser for the part of HCL's expression language that static extraction can use: literals,
// tuples, objects, references (`var.x["k"][0]`, `each.value.port`), function calls and string
// templates. Every literal keeps its offset and its text as written, so a port that comes from a
// variable default nested in a map still points at the line `portdrift fix` must edit.
// Anything else (operators, conditionals, `for` expressions, splats) becomes a `raw` node holding
// its source text: it is reported as unresolved, never guessed.
//
// Why not hcl2json's getExpressionAst (iac.md §2.3)? It costs ~2.1 ms per call (0.6 ms when
// batched) because the AST crosses the WASM bridge as verbose JSON; the 500-file benchmark has
// 2,500 `jsonencode` definitions, which alone would take 1.5–5 s of the 3 s budget. hcl2json has
// already validated the syntax when this runs, so this parser only needs to understand it.
import { skipString } from './locate.js';

export type Expr =
  | { k: 'lit'; v: number | string | boolean | null; at: number; raw: string }
  | { k: 'tuple'; items: Expr[] }
  | { k: 'object'; items: { key: string; value: Expr }[] }
  | { k: 'ref'; parts: (string | number | Expr)[]; text: string }
  | { k: 'call'; name: string; args: Expr[]; text: string }
  | { k: 'template'; parts: (string | Expr)[]; text: string }
  | { k: 'raw'; text: string };

/** Parse `text` (an attribute's value as written). `base` is added to every offset. */
export function parseExpr(text: string, base = 0): Expr {
  const p = new Parser(text, base);
  const e = p.expr(new Set());
  return e;
}

/** A value as hcl2json prints it: a literal, or a string holding `${…}` / `%{…}` (iac.md §2.3). */
export function isExpressionString(v: unknown): v is string {
  return typeof v === 'string' && /(^|[^$])\$\{|(^|[^%])%\{/.test(v);
}

/** hcl2json's JSON value → Expr (no source offsets: used for `.tf.json` files and as a fallback). */
export function fromJson(v: unknown): Expr {
  if (typeof v === 'string') return isExpressionString(v) ? parseTemplate(v, 0, v) : { k: 'lit', v: unescape(v), at: -1, raw: JSON.stringify(v) };
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return { k: 'lit', v, at: -1, raw: String(v) };
  if (Array.isArray(v)) return { k: 'tuple', items: v.map(fromJson) };
  if (typeof v === 'object') return { k: 'object', items: Object.entries(v as Record<string, unknown>).map(([key, value]) => ({ key, value: fromJson(value) })) };
  return { k: 'raw', text: String(v) };
}

const unescape = (s: string): string => s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');

/** The content of a template string (without quotes) → one expression when it is exactly `${X}`, else a template. */
function parseTemplate(body: string, base: number, text: string): Expr {
  const parts: (string | Expr)[] = [];
  let lit = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if ((c === '$' || c === '%') && body[i + 1] === c && body[i + 2] === '{') {
      lit += `${c}{`;
      i += 3;
    } else if (c === '%' && body[i + 1] === '{') {
      return { k: 'raw', text };
    } else if (c === '$' && body[i + 1] === '{') {
      const end = closing(body, i + 2);
      if (lit) parts.push(lit);
      lit = '';
      parts.push(new Parser(body, base).exprAt(i + 2, end));
      i = end + 1;
    } else if (c === '\\') {
      const next = body[i + 1];
      lit += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : (next ?? '');
      i += 2;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) parts.push(lit);
  if (parts.length === 1 && typeof parts[0] !== 'string') return parts[0]!;
  return { k: 'template', parts, text };
}

/** Index of the `}` closing an interpolation whose body starts at `i`. */
function closing(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j]!;
    if (c === '"') j = skipString(s, j) - 1;
    else if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '}') {
      if (depth === 0) return j;
      depth--;
    }
  }
  return s.length;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const HEREDOC = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;

class Parser {
  i = 0;
  end: number;
  constructor(
    readonly s: string,
    readonly base: number,
  ) {
    this.end = s.length;
  }

  exprAt(start: number, end: number): Expr {
    const p = new Parser(this.s, this.base);
    p.i = start;
    p.end = end;
    return p.expr(new Set());
  }

  ws(newlines: boolean): void {
    while (this.i < this.end) {
      const c = this.s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.i++;
      else if (c === '#' || (c === '/' && this.s[this.i + 1] === '/')) {
        while (this.i < this.end && this.s[this.i] !== '\n') this.i++;
      } else if (c === '/' && this.s[this.i + 1] === '*') {
        const e = this.s.indexOf('*/', this.i + 2);
        this.i = e === -1 || e > this.end ? this.end : e + 2;
      } else break;
    }
  }

  /** One expression, ending before a character of `stops` at depth 0 (or the end). */
  expr(stops: ReadonlySet<string>): Expr {
    this.ws(true);
    const start = this.i;
    let e: Expr;
    try {
      e = this.primary();
    } catch {
      e = { k: 'raw', text: '' };
      this.i = start;
    }
    this.ws(!stops.has('\n'));
    if (this.i >= this.end || stops.has(this.s[this.i]!)) return e;
    // An operator, a conditional or something unknown follows: the whole expression is raw.
    this.i = start;
    this.skipTo(stops);
    return { k: 'raw', text: this.s.slice(start, this.i).trim() };
  }

  skipTo(stops: ReadonlySet<string>): void {
    let depth = 0;
    while (this.i < this.end) {
      const c = this.s[this.i]!;
      if (depth === 0 && stops.has(c)) return;
      if (c === '"') {
        this.i = skipString(this.s, this.i);
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth--;
      if (depth < 0) return;
      this.i++;
    }
  }

  primary(): Expr {
    const s = this.s;
    const c = s[this.i];
    if (c === undefined) throw new Error('end');
    if (c === '"') {
      const start = this.i;
      const end = skipString(s, start);
      this.i = end;
      const body = s.slice(start + 1, end - 1);
      const t = parseTemplate(body, this.base + start + 1, s.slice(start, end));
      // parseTemplate's offsets are relative to `body`; rebase nested references is not needed
      // (only literals carry offsets, and a template's literal parts are plain strings).
      return t.k === 'template' && t.parts.length === 1 && typeof t.parts[0] === 'string'
        ? { k: 'lit', v: t.parts[0], at: this.base + start, raw: s.slice(start, end) }
        : t.k === 'template' && t.parts.length === 0
          ? { k: 'lit', v: '', at: this.base + start, raw: '""' }
          : t;
    }
    if (c === '<') {
      HEREDOC.lastIndex = this.i;
      const m = HEREDOC.exec(s);
      if (!m) throw new Error('heredoc');
      const bodyStart = this.i + m[0].length;
      const lines: string[] = [];
      let j = bodyStart;
      while (j < this.end) {
        let eol = s.indexOf('\n', j);
        if (eol === -1) eol = s.length;
        const line = s.slice(j, eol).replace(/\r$/, '');
        if (line.trim() === m[2]) {
          this.i = eol;
          break;
        }
        lines.push(line);
        j = eol + 1;
        this.i = j;
      }
      const indent = m[1] ? Math.min(...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length)) : 0;
      const body = lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n') + (lines.length ? '\n' : '');
      if (/(^|[^$])\$\{|(^|[^%])%\{/.test(body)) return { k: 'raw', text: s.slice(this.i - 1 - body.length, this.i) };
      return { k: 'lit', v: unescape(body), at: this.base + bodyStart, raw: body };
    }
    NUMBER.lastIndex = this.i;
    const num = NUMBER.exec(s);
    if (num && (c !== '-' || /\d/.test(s[this.i + 1] ?? ''))) {
      this.i += num[0].length;
      return { k: 'lit', v: Number(num[0]), at: this.base + this.i - num[0].length, raw: num[0] };
    }
    if (c === '[') return this.tuple();
    if (c === '{') return this.object();
    if (c === '(') {
      this.i++;
      const inner = this.expr(new Set([')']));
      if (s[this.i] !== ')') throw new Error('paren');
      this.i++;
      return inner;
    }
    IDENT.lastIndex = this.i;
    const id = IDENT.exec(s);
    if (!id) throw new Error('token');
    const start = this.i;
    this.i += id[0].length;
    const name = id[0];
    if (name === 'true' || name === 'false') return { k: 'lit', v: name === 'true', at: this.base + start, raw: name };
    if (name === 'null') return { k: 'lit', v: null, at: this.base + start, raw: name };
    if (name === 'for') throw new Error('for');
    if (s[this.i] === '(' || (s[this.i] === ':' && s[this.i + 1] === ':')) return this.call(name, start);
    const parts: (string | number | Expr)[] = [name];
    for (;;) {
      if (s[this.i] === '.') {
        this.i++;
        IDENT.lastIndex = this.i;
        const m = IDENT.exec(s);
        NUMBER.lastIndex = this.i;
        const n = m ? null : NUMBER.exec(s);
        if (m) {
          parts.push(m[0]);
          this.i += m[0].length;
        } else if (n) {
          parts.push(Number(n[0]));
          this.i += n[0].length;
        } else throw new Error('splat');
      } else if (s[this.i] === '[') {
        this.i++;
        this.ws(true);
        const key = this.primary();
        this.ws(true);
        if (s[this.i] !== ']') throw new Error('index');
        this.i++;
        // `[count.index]`, `[each.key]`: a reference evaluated when the traversal is.
        if (key.k === 'lit' && (typeof key.v === 'string' || typeof key.v === 'number')) parts.push(key.v);
        else if (key.k === 'ref') parts.push(key);
        else throw new Error('index');
      } else break;
    }
    return { k: 'ref', parts, text: s.slice(start, this.i) };
  }

  call(name: string, start: number): Expr {
    const s = this.s;
    let fn = name;
    while (s[this.i] === ':' && s[this.i + 1] === ':') {
      this.i += 2;
      IDENT.lastIndex = this.i;
      const m = IDENT.exec(s);
      if (!m) throw new Error('fn');
      fn += `::${m[0]}`;
      this.i += m[0].length;
    }
    if (s[this.i] !== '(') throw new Error('call');
    this.i++;
    const args: Expr[] = [];
    const stops = new Set([',', ')']);
    for (;;) {
      this.ws(true);
      if (s[this.i] === ')') break;
      args.push(this.expr(stops));
      this.ws(true);
      if (s.startsWith('...', this.i)) throw new Error('expand');
      if (s[this.i] === ',') this.i++;
      else if (s[this.i] !== ')') throw new Error('args');
    }
    this.i++;
    return { k: 'call', name: fn, args, text: s.slice(start, this.i) };
  }

  tuple(): Expr {
    const s = this.s;
    this.i++;
    this.ws(true);
    IDENT.lastIndex = this.i;
    if (IDENT.exec(s)?.[0] === 'for') throw new Error('for');
    const items: Expr[] = [];
    const stops = new Set([',', ']']);
    for (;;) {
      this.ws(true);
      if (s[this.i] === ']') break;
      if (this.i >= this.end) throw new Error('tuple');
      items.push(this.expr(stops));
      this.ws(true);
      if (s[this.i] === ',') this.i++;
      else if (s[this.i] !== ']') throw new Error('tuple');
    }
    this.i++;
    return { k: 'tuple', items };
  }

  object(): Expr {
    const s = this.s;
    this.i++;
    this.ws(true);
    IDENT.lastIndex = this.i;
    if (IDENT.exec(s)?.[0] === 'for') throw new Error('for');
    const items: { key: string; value: Expr }[] = [];
    const keyStops = new Set(['=', ':']);
    const valueStops = new Set([',', '}', '\n']);
    for (;;) {
      this.ws(true);
      if (s[this.i] === '}') break;
      if (this.i >= this.end) throw new Error('object');
      const key = this.expr(keyStops);
      const keyText = key.k === 'lit' ? String(key.v) : key.k === 'ref' && key.parts.length === 1 ? String(key.parts[0]) : undefined;
      if (keyText === undefined || (s[this.i] !== '=' && s[this.i] !== ':')) throw new Error('key');
      this.i++;
      const value = this.expr(valueStops);
      items.push({ key: keyText, value });
      this.ws(false);
      if (s[this.i] === ',' || s[this.i] === '\n') this.i++;
      else if (s[this.i] !== '}') throw new Error('object');
    }
    this.i++;
    return { k: 'object', items };
  }
}
