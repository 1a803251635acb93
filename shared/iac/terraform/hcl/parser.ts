// A Pratt parser for HCL expressions (hclsyntax's grammar): literals, templates, heredocs,
// tuples, objects, `for` expressions, references with attribute / index / splat traversals,
// function calls (with `...` expansion), unary and binary operators and the conditional.
// Offsets are those of the file, so literals know their lines. hcl2json has already checked the
// syntax; what this parser does not accept becomes a `raw` node (reported as unknown).
import type { Expr } from './ast.js';
import { ParseError, TokenCursor } from './cursor.js';
import { tokenize, type Token } from './lexer.js';
import { buildTemplate } from './template-tree.js';

const BINARY: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

/** The expression in `text` between offsets `start` and `end` (the whole text by default). */
export function parseExpression(text: string, start = 0, end = text.length): Expr {
  try {
    const p = new Parser(text, tokenize(text, start, end));
    const e = p.expr();
    if (p.peek().k !== 'eof') throw new ParseError('trailing tokens');
    return e;
  } catch {
    return { k: 'raw', text: text.slice(start, end).trim() };
  }
}

/** A template body as an expression (template-tree.ts), its interpolations parsed here. */
export function parseTemplate(
  text: string,
  start: number,
  end: number,
  quoted: boolean,
  at?: number,
  raw?: string,
): Expr {
  return buildTemplate(text, start, end, quoted, parseExpression, at, raw);
}

class Parser extends TokenCursor {
  expr(): Expr {
    const s = this.peek().s;
    const c = this.binary(0);
    if (!this.isOp('?')) return c;
    this.next();
    const t = this.nested(false, () => this.expr());
    this.expect(':');
    const f = this.expr();
    return { k: 'cond', c, t, f, text: this.from(s) };
  }

  private binary(min: number): Expr {
    const s = this.peek().s;
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.k === 'op' ? BINARY[t.v] : undefined;
      if (prec === undefined || prec <= min || !this.isOp(t.v)) return l;
      this.next();
      const r = this.binary(prec);
      l = { k: 'binary', op: t.v, l, r, text: this.from(s) };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.k === 'op' && (t.v === '!' || t.v === '-')) {
      this.next();
      const x = this.unary();
      const text = this.from(t.s);
      // `-1` is a literal as written (a rule's `from_port = -1`), with its offset.
      if (t.v === '-' && x.k === 'lit' && typeof x.v === 'number') {
        return { k: 'lit', v: -x.v, at: t.s, raw: text, text };
      }
      return { k: 'unary', op: t.v, x, text };
    }
    return this.postfix(this.primary(), t.s);
  }

  private postfix(e: Expr, s: number): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.k === 'op' && t.v === '*') {
          e = this.splat(e, s, true);
          continue;
        }
        if (t.k === 'ident') e = { k: 'attr', obj: e, name: t.v, text: this.from(s) };
        else if (t.k === 'num' && /^\d+$/.test(t.v)) e = { k: 'index', obj: e, key: this.num(t), text: this.from(s) };
        else throw new ParseError('attribute');
      } else if (this.isOp('[')) {
        this.next();
        if (this.isOp('*') && this.toks[this.i + 1]?.v === ']') {
          this.next();
          this.next();
          e = this.splat(e, s, false);
          continue;
        }
        const key = this.nested(false, () => this.expr());
        this.expect(']');
        e = { k: 'index', obj: e, key, text: this.from(s) };
      } else return e;
    }
  }

  /** The traversals after `[*]` (or `.*`, which takes attributes only) apply to each element. */
  private splat(obj: Expr, s: number, legacy: boolean): Expr {
    let each: Expr = { k: 'item', text: '' };
    for (;;) {
      if (this.isOp('.') && this.toks[this.i + 1]?.k === 'ident') {
        this.next();
        const t = this.next();
        each = { k: 'attr', obj: each, name: t.v, text: t.v };
      } else if (!legacy && this.isOp('[')) {
        this.next();
        const key = this.nested(false, () => this.expr());
        this.expect(']');
        each = { k: 'index', obj: each, key, text: key.text };
      } else break;
    }
    return { k: 'splat', obj, each, text: this.from(s) };
  }

  private num(t: Token): Expr {
    return { k: 'lit', v: Number(t.v), at: t.s, raw: t.v, text: t.v };
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.k) {
      case 'num':
        return this.num(t);
      case 'str':
        return parseTemplate(this.text, t.s + 1, t.e - 1, true, t.s, this.text.slice(t.s, t.e));
      case 'heredoc':
        return this.heredoc(t);
      case 'ident':
        return this.identifier(t);
      case 'op':
        if (t.v === '(') {
          const inner = this.nested(false, () => this.expr());
          this.expect(')');
          return { ...inner, text: this.from(t.s) } as Expr;
        }
        if (t.v === '[') return this.nested(false, () => this.tuple(t));
        if (t.v === '{') return this.object(t);
        throw new ParseError(`unexpected ${t.v}`);
      default:
        throw new ParseError('unexpected end');
    }
  }

  private identifier(t: Token): Expr {
    if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true', at: t.s, raw: t.v, text: t.v };
    if (t.v === 'null') return { k: 'lit', v: null, at: t.s, raw: t.v, text: t.v };
    let name = t.v;
    while (this.peek().k === 'op' && this.peek().v === '::') {
      this.next();
      const part = this.next();
      if (part.k !== 'ident') throw new ParseError('function name');
      name += `::${part.v}`;
    }
    if (this.peek().k === 'op' && this.peek().v === '(') {
      this.next();
      return this.nested(false, () => this.call(name, t.s));
    }
    if (name.includes('::')) throw new ParseError('call');
    return { k: 'name', name, text: name };
  }

  private call(name: string, s: number): Expr {
    const args: Expr[] = [];
    let expand = false;
    while (!this.isOp(')')) {
      args.push(this.expr());
      if (this.isOp('...')) {
        this.next();
        expand = true;
      }
      if (this.isOp(',')) this.next();
      else if (!this.isOp(')')) throw new ParseError('arguments');
    }
    this.next();
    return { k: 'call', name, args, expand, text: this.from(s) };
  }

  private heredoc(t: Token): Expr {
    const body = t.body!;
    const raw = this.text.slice(t.s, t.e);
    if (!body.indented) return parseTemplate(this.text, body.s, body.e, false, body.s, this.text.slice(body.s, body.e));
    // `<<-`: the smallest indentation of the non-blank lines is removed from every line.
    const lines = this.text.slice(body.s, body.e).split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length));
    const cut = Number.isFinite(indent) ? indent : 0;
    const dedented = lines.map((l) => l.slice(Math.min(cut, /^[ \t]*/.exec(l)![0].length))).join('\n');
    const e = parseTemplate(dedented, 0, dedented.length, false, body.s, dedented);
    // Offsets inside the dedented copy are not the file's: literals point at the body's start.
    return relocate(e, body.s, raw);
  }

  private tuple(open: Token): Expr {
    if (this.atFor()) return this.forExpr(open, false);
    const items: Expr[] = [];
    while (!this.isOp(']')) {
      items.push(this.expr());
      if (this.isOp(',')) this.next();
      else if (!this.isOp(']')) throw new ParseError('tuple');
    }
    this.next();
    return { k: 'tuple', items, text: this.from(open.s) };
  }

  private object(open: Token): Expr {
    if (this.atFor()) return this.nested(false, () => this.forExpr(open, true));
    return this.nested(true, () => {
      const items: { key: Expr; value: Expr }[] = [];
      while (!(this.peek().k === 'op' && this.peek().v === '}')) {
        const k = this.peek();
        const after = this.toks[this.i + 1];
        let key: Expr;
        if (k.k === 'ident' && after?.k === 'op' && (after.v === '=' || after.v === ':')) {
          this.next();
          key = { k: 'lit', v: k.v, at: k.s, raw: k.v, text: k.v };
        } else key = this.nested(false, () => this.binary(0));
        const sep = this.next();
        if (sep.k !== 'op' || (sep.v !== '=' && sep.v !== ':')) throw new ParseError('object key');
        const value = this.expr();
        items.push({ key, value });
        const n = this.peek();
        if (n.k === 'op' && n.v === ',') this.next();
        else if (!(n.k === 'op' && n.v === '}') && !n.nl) throw new ParseError('object item');
      }
      this.next();
      return { k: 'object', items, text: this.from(open.s) };
    });
  }

  /** `for x` (not a key or element named `for`). */
  private atFor(): boolean {
    return this.peek().k === 'ident' && this.peek().v === 'for' && this.toks[this.i + 1]?.k === 'ident';
  }

  private forExpr(open: Token, object: boolean): Expr {
    this.next(); // for
    const first = this.next();
    if (first.k !== 'ident') throw new ParseError('for symbol');
    let keyVar: string | undefined;
    let valVar = first.v;
    if (this.isOp(',')) {
      this.next();
      const second = this.next();
      if (second.k !== 'ident') throw new ParseError('for symbol');
      keyVar = first.v;
      valVar = second.v;
    }
    const kw = this.next();
    if (kw.k !== 'ident' || kw.v !== 'in') throw new ParseError('for in');
    const coll = this.expr();
    this.expect(':');
    let key: Expr | undefined;
    let value = this.expr();
    let group = false;
    if (object) {
      this.expect('=>');
      key = value;
      value = this.expr();
      if (this.isOp('...')) {
        this.next();
        group = true;
      }
    }
    let cond: Expr | undefined;
    if (this.peek().k === 'ident' && this.peek().v === 'if') {
      this.next();
      cond = this.expr();
    }
    this.expect(object ? '}' : ']');
    return { k: 'for', keyVar, valVar, coll, key, value, cond, group, text: this.from(open.s) };
  }
}

/** Literal offsets of a dedented heredoc copy → the heredoc body's start in the file. */
function relocate(e: Expr, at: number, raw: string): Expr {
  if (e.k === 'lit') return { ...e, at, text: raw };
  if (e.k === 'template') return { ...e, text: raw };
  return e;
}
