// A view of one block body of hcl2json's JSON together with where it is written and the scope
// its expressions are evaluated in. Attribute values are parsed from their own source text (the
// line locator gives the span), so every literal knows its line; `.tf.json` files, which have
// no HCL text, fall back to hcl2json-shaped JSON and a key search for lines.
import type { Unresolved } from '../../types.js';
import { evaluate, index, unknown, type Scope, type Value, type Writer } from './eval.js';
import { fromJson, parseExpr, type Expr } from './expr.js';
import type { LineIndex } from './hcl/locate.js';

export interface ModuleFile {
  /** Relative to the IaC root. */
  file: string;
  text: string;
  json: Record<string, unknown>;
  /** Null for `.tf.json` files. */
  index: LineIndex | null;
  lineAt(offset: number): number;
}

export interface Block {
  mf: ModuleFile;
  json: Record<string, unknown>;
  /** The locator path (`resource.aws_security_group.web.ingress[1]`). */
  path: string;
  /** The attribute path prefix shown in `unresolved` (`ingress[1].`). */
  shown: string;
  line: number;
  scope: Scope;
}

export interface Attr {
  value: Value;
  /** Line of the attribute itself. */
  line: number;
  /** As hcl2json prints it (`${var.db_port}`), for `unresolved`. */
  expression: string;
  attribute: string;
  /** Span of the value in the file, when known (for keys inside jsonencode / heredocs). */
  span: { start: number; end: number } | undefined;
}

/** A JSON object as a record; anything else (absent, a list, a scalar) as an empty one. */
export function objectOf(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Blocks are arrays in `.tf` JSON, maybe single objects in `.tf.json` (docs/design/iac-extraction.md#file-by-file). */
export function bodies(v: unknown): Record<string, unknown>[] {
  const list = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? [v] : [];
  return list.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x));
}

export function expressionOf(raw: unknown): string {
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}

/** The line of a `.tf.json` key: the first `"key"` after the block's header line. */
function jsonKeyLine(mf: ModuleFile, fromLine: number, key: string): number | undefined {
  const lines = mf.text.split('\n');
  for (let l = fromLine - 1; l < lines.length; l++) if (lines[l]!.includes(JSON.stringify(key))) return l + 1;
  return undefined;
}

export function writer(b: Block, kind: Writer['kind'], name?: string, line = b.line): Writer {
  return {
    kind,
    file: b.mf.file,
    lineAt: b.mf.index ? b.mf.lineAt : undefined,
    line,
    ...(name !== undefined ? { name } : {}),
  };
}

/** Parse an attribute of `b` (without evaluating it). */
export function attrExpr(b: Block, name: string): { expr: Expr; line: number; span: Attr['span'] } | undefined {
  const raw = b.json[name];
  if (raw === undefined) return undefined;
  const loc = b.mf.index?.attrs.get(b.path ? `${b.path}.${name}` : name);
  if (loc)
    return { expr: parseExpr(b.mf.text, loc.start, loc.end), line: loc.line, span: { start: loc.start, end: loc.end } };
  return {
    expr: fromJson(raw),
    line: (b.mf.index ? undefined : jsonKeyLine(b.mf, b.line, name)) ?? b.line,
    span: undefined,
  };
}

/** An attribute evaluated in the block's scope; literals written in it have origin `kind`. */
export function attr(b: Block, name: string, kind: Writer['kind'] = 'literal', originName?: string): Attr | undefined {
  const a = attrExpr(b, name);
  if (!a) return undefined;
  const value = evaluate(a.expr, b.scope, writer(b, kind, originName, a.line));
  // In Terraform an argument set to null is an argument not set: `port = null` (or a variable
  // whose value is null) means the provider's default, e.g. the engine's port.
  if (value.t === 'lit' && value.v === null) return undefined;
  return { value, line: a.line, expression: expressionOf(b.json[name]), attribute: b.shown + name, span: a.span };
}

/**
 * Nested blocks of `type`: the static ones, then each `dynamic "type"` expanded over its
 * `for_each` (a `content` per element, with the iterator in scope). A `for_each` that cannot be
 * evaluated is reported as unresolved instead of being expanded.
 */
export function children(b: Block, type: string, resource: string, unresolved: Unresolved[]): Block[] {
  const out: Block[] = bodies(b.json[type]).map((json, i) => {
    const path = `${b.path}.${type}[${i}]`;
    return {
      mf: b.mf,
      json,
      path,
      shown: `${b.shown}${type}[${i}].`,
      line: b.mf.index?.blocks.get(path) ?? b.line,
      scope: b.scope,
    };
  });
  const dyn = b.json.dynamic;
  const dynamics =
    dyn !== null && typeof dyn === 'object' && !Array.isArray(dyn)
      ? bodies((dyn as Record<string, unknown>)[type])
      : [];
  dynamics.forEach((json, i) => {
    const path = `${b.path}.dynamic.${type}[${i}]`;
    const d: Block = {
      mf: b.mf,
      json,
      path,
      shown: `${b.shown}dynamic.${type}[${i}].`,
      line: b.mf.index?.blocks.get(path) ?? b.line,
      scope: b.scope,
    };
    const forEach = attr(d, 'for_each');
    const content = bodies(json.content)[0];
    if (!forEach || !content) return;
    const it = attr(d, 'iterator')?.value;
    const iterName = it?.t === 'lit' && typeof it.v === 'string' ? it.v : it?.t === 'unknown' ? it.expr : type;
    const elements = iterate(forEach.value);
    if (!elements) {
      unresolved.push({
        resource,
        attribute: forEach.attribute,
        expression: forEach.expression,
        source: { file: b.mf.file, line: forEach.line },
      });
      return;
    }
    const cpath = `${path}.content[0]`;
    for (const el of elements) {
      const iterators = new Map(b.scope.iterators ?? []);
      iterators.set(iterName, el);
      out.push({
        mf: b.mf,
        json: content,
        path: cpath,
        shown: `${d.shown}content[${JSON.stringify(keyText(el.key))}].`,
        line: b.mf.index?.blocks.get(cpath) ?? d.line,
        scope: { ...b.scope, iterators },
      });
    }
  });
  return out;
}

const keyText = (v: Value): string | number =>
  v.t === 'lit' && (typeof v.v === 'number' || typeof v.v === 'string') ? v.v : '?';

/** Elements of a `for_each` / dynamic `for_each` value: a map by key, a list (set) by index with the item as key for
 * sets of strings. */
export function iterate(v: Value, asSet = false): { key: Value; value: Value }[] | undefined {
  if (v.t === 'map') return [...v.items].map(([k, value]) => ({ key: { t: 'lit', v: k }, value }));
  if (v.t === 'list') {
    if (v.items.some((x) => x.t === 'unknown')) return undefined;
    return v.items.map((value, i) => ({
      key: asSet && value.t === 'lit' ? { t: 'lit', v: String(value.v) } : { t: 'lit', v: i },
      value,
    }));
  }
  return undefined;
}

export { index, unknown };
