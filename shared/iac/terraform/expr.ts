// Parsing attribute values: HCL text through the expression parser in hcl/ (which keeps each
// literal's offset, for origins), and `.tf.json` values (or hcl2json's JSON when a value's text
// cannot be located) as HCL's JSON syntax reads them: strings are templates.
//
// Why not hcl2json's getExpressionAst? It costs ~2.1 ms per call (0.6 ms when batched) because
// the AST crosses the WASM bridge as verbose JSON; the 500-file benchmark has 2,500 `jsonencode`
// definitions, which alone would take 1.5–5 s of the 3 s budget. hcl2json has already
// validated the syntax when this runs, so hcl/parser.ts only needs to understand it.
import type { Expr } from './hcl/ast.js';
import { parseExpression, parseTemplate } from './hcl/parser.js';

export type { Expr };

/** Parse the value written in `text` between `start` and `end` (offsets stay the file's). */
export function parseExpr(text: string, start = 0, end = text.length): Expr {
  return parseExpression(text, start, end);
}

/** A JSON value (`.tf.json`, or hcl2json's output) → Expr, without source offsets. */
export function fromJson(v: unknown): Expr {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  if (typeof v === 'string') return parseTemplate(v, 0, v.length, false, -1, JSON.stringify(v));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) {
    return { k: 'lit', v, at: -1, raw: String(v), text };
  }
  if (Array.isArray(v)) return { k: 'tuple', items: v.map(fromJson), text };
  if (typeof v === 'object') {
    const items = Object.entries(v as Record<string, unknown>).map(([key, value]) => {
      const k: Expr = { k: 'lit', v: key, at: -1, raw: key, text: key };
      return { key: k, value: fromJson(value) };
    });
    return { k: 'object', items, text };
  }
  return { k: 'raw', text };
}
