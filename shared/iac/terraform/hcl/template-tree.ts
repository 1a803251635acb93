// Templates (a quoted string, a heredoc, a `.tf.json` string) as expressions: the scanned parts
// become a literal, one interpolation, or a template, and directives nest into the conditional
// and `for` nodes the evaluator already knows. The interpolations themselves are parsed by the
// expression parser, passed in, since templates and expressions contain each other.
import type { Expr } from './ast.js';
import { ParseError } from './cursor.js';
import { scanTemplate, type Directive, type TemplatePart } from './template.js';

/** Parses the expression in `text` between offsets `start` and `end`. */
export type ParseSpan = (text: string, start: number, end: number) => Expr;

/**
 * A template body (a `.tf.json` string, or the inside of quotes) → a literal, one expression
 * (`"${x}"`, whose value keeps its type) or a template. `at` / `raw` describe the literal case.
 */
export function buildTemplate(
  text: string,
  start: number,
  end: number,
  quoted: boolean,
  parseExpr: ParseSpan,
  at = start,
  raw = text.slice(start, end),
): Expr {
  const scanned = scanTemplate(text, start, end, quoted);
  const whole = raw;
  if (scanned === 'directive') return { k: 'raw', text: whole };
  let parts: (string | Expr)[];
  try {
    const pos = { i: 0 };
    parts = nest(text, scanned, pos, whole, [], parseExpr);
    if (pos.i < scanned.length) throw new ParseError('unbalanced directive');
  } catch {
    return { k: 'raw', text: whole };
  }
  if (parts.length === 0) return { k: 'lit', v: '', at, raw: whole, text: whole };
  if (parts.length === 1 && typeof parts[0] === 'string') return { k: 'lit', v: parts[0], at, raw: whole, text: whole };
  if (parts.length === 1) return parts[0] as Expr;
  return { k: 'template', parts, text: whole };
}

/**
 * Template parts up to one of `until` (consumed), with directives nested: `%{ if c }a%{ else }b`
 * is the conditional `c ? "a" : "b"`, `%{ for x in xs }…%{ endfor }` is
 * `join("", [for x in xs : "…"])`, so the evaluator needs nothing new.
 */
function nest(
  text: string,
  parts: TemplatePart[],
  pos: { i: number },
  whole: string,
  until: Directive[],
  parseExpr: ParseSpan,
): (string | Expr)[] {
  const out: (string | Expr)[] = [];
  while (pos.i < parts.length) {
    const p = parts[pos.i++]!;
    if ('lit' in p) {
      out.push(p.lit);
      continue;
    }
    if (!p.dir) {
      out.push(parseExpr(text, p.s, p.e));
      continue;
    }
    if (until.includes(p.dir)) {
      pos.i--;
      return out;
    }
    const body = (stop: Directive[]): Expr => {
      return { k: 'template', parts: nest(text, parts, pos, whole, stop, parseExpr), text: whole };
    };
    const closeWith = (d: Directive): Directive => {
      const q = parts[pos.i++];
      if (!q || 'lit' in q || q.dir !== d) throw new ParseError(`missing ${d}`);
      return d;
    };
    if (p.dir === 'if') {
      const c = parseExpr(text, p.s, p.e);
      const t = body(['else', 'endif']);
      const next = parts[pos.i];
      let f: Expr = { k: 'lit', v: '', at: -1, raw: '""', text: '""' };
      if (next && !('lit' in next) && next.dir === 'else') {
        pos.i++;
        f = body(['endif']);
      }
      closeWith('endif');
      out.push({ k: 'cond', c, t, f, text: whole });
    } else if (p.dir === 'for') {
      const m = /^\s*([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s/.exec(text.slice(p.s, p.e));
      if (!m) throw new ParseError('for directive');
      const coll = parseExpr(text, p.s + m[0].length, p.e);
      const value = body(['endfor']);
      closeWith('endfor');
      const each: Expr = {
        k: 'for',
        keyVar: m[2] ? m[1] : undefined,
        valVar: m[2] ?? m[1]!,
        coll,
        key: undefined,
        value,
        cond: undefined,
        group: false,
        text: whole,
      };
      const sep: Expr = { k: 'lit', v: '', at: -1, raw: '""', text: '""' };
      out.push({ k: 'call', name: 'join', args: [sep, each], expand: false, text: whole });
    } else throw new ParseError(`unexpected ${p.dir}`);
  }
  if (until.length) throw new ParseError(`missing ${until.join(' / ')}`);
  return out;
}
