// Static evaluation of CloudFormation values: literals, `Ref` to parameters (parameters file
// first, then `Default`), `Fn::FindInMap` over `Mappings`, `Fn::Sub` / `Fn::Join` / `Fn::Select`
// / `Fn::Split` of known values, `Fn::If` when its condition can be decided, and the condition
// functions. Anything else (`Fn::GetAtt`, `Fn::ImportValue`, pseudo parameters such as
// `AWS::Region`, a parameter with neither value nor default) is not known before deployment:
// the result says so and the caller lists it as unresolved. Nothing is guessed.
import { isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node } from 'yaml';
import type { ValueOrigin } from '../../types.js';
import { deref, get, items, keyString, lineOf, literalOrigin, pairs, sourceText, type YamlStream } from '../yaml.js';
import { intrinsic } from './tags.js';

/** `AWS::NoValue`: the property is absent. */
export const NO_VALUE = Symbol('AWS::NoValue');

/**
 * A value, or why there is none: without `error` it is known only after deployment (a GetAtt, a
 * resource's physical id); with `error` the template itself is wrong (a Ref to no parameter or
 * resource, a FindInMap key the Mappings do not hold), which CloudFormation would refuse.
 */
export type Evaluated = { ok: true; value: unknown; origin?: ValueOrigin } | { ok: false; error?: string };

/** A value given for a parameter by a parameters file. */
export interface GivenParameter {
  value: string;
  origin: ValueOrigin;
}

export class CfnEvaluator {
  private readonly conditionCache = new Map<string, boolean | undefined>();
  private readonly conditionsInProgress = new Set<string>();
  readonly doc: Document;

  constructor(
    readonly s: YamlStream,
    private readonly given: ReadonlyMap<string, GivenParameter>,
  ) {
    this.doc = s.docs[0]!;
  }

  private section(name: string): Node | undefined {
    return get(this.doc, this.doc.contents, name);
  }

  /** The source text of a node, its tag included, on one line: what `unresolved[].expression` shows. */
  expression(raw: unknown): string {
    const node = deref(this.doc, raw);
    if (!node) return '';
    const tag = (node as { tag?: string }).tag;
    const text = sourceText(this.s, node).replace(/\s+/g, ' ');
    return tag?.startsWith('!') ? `${tag} ${text}` : text;
  }

  evaluate(raw: unknown, depth = 0): Evaluated {
    const node = deref(this.doc, raw);
    if (!node || depth > 32) return { ok: false };
    const fn = intrinsic(this.doc, node);
    if (fn) return this.call(fn.fn, fn.arg, depth + 1);
    // A tag that is not a CloudFormation intrinsic (already reported as a problem): the parser
    // kept its text, but what it means is unknown, so it is never read as a literal.
    if ((node as { tag?: string }).tag?.startsWith('!')) return { ok: false };
    if (isScalar(node)) {
      return {
        ok: true,
        value: node.value,
        origin: literalOrigin(this.s, node),
      };
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      for (const item of node.items) {
        const e = this.evaluate(item, depth + 1);
        if (!e.ok) return e;
        if (e.value !== NO_VALUE) out.push(e.value);
      }
      return { ok: true, value: out };
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const p of pairs(this.doc, node)) {
        const e = this.evaluate(p.value, depth + 1);
        if (!e.ok) return e;
        if (e.value !== NO_VALUE) out[keyString(p)] = e.value;
      }
      return { ok: true, value: out };
    }
    return { ok: false };
  }

  /** The branch an `Fn::If` (possibly nested) picks, or the node itself; undefined for `AWS::NoValue`. Undecidable
   * conditions leave the node as is. */
  select(raw: unknown, depth = 0): Node | undefined {
    const node = deref(this.doc, raw);
    if (!node || depth > 32) return node;
    const fn = intrinsic(this.doc, node);
    if (fn?.fn === 'Fn::If') {
      const [cond, a, b] = items(this.doc, fn.arg);
      const name = cond && isScalar(cond) ? String(cond.value) : undefined;
      const decided = name === undefined ? undefined : this.condition(name);
      if (decided === undefined) return node;
      return this.select(decided ? a : b, depth + 1);
    }
    if (fn?.fn === 'Ref' && isScalar(fn.arg) && fn.arg.value === 'AWS::NoValue') return undefined;
    return node;
  }

  private call(fn: string, arg: Node, depth: number): Evaluated {
    switch (fn) {
      case 'Ref':
        return isScalar(arg)
          ? this.ref(String(arg.value))
          : { ok: false, error: 'Ref takes the name of a parameter or resource' };
      case 'Fn::FindInMap':
        return this.findInMap(arg, depth);
      case 'Fn::If': {
        const [cond, a, b] = items(this.doc, arg);
        const decided = cond && isScalar(cond) ? this.condition(String(cond.value)) : undefined;
        if (decided === undefined) return { ok: false };
        return this.evaluate(decided ? a : b, depth);
      }
      case 'Fn::Sub':
        return this.sub(arg, depth);
      case 'Fn::Join': {
        const [delim, list] = items(this.doc, arg);
        const d = this.evaluate(delim, depth);
        const l = this.evaluate(list, depth);
        if (!d.ok || !l.ok || !Array.isArray(l.value)) return { ok: false };
        return { ok: true, value: l.value.map(String).join(String(d.value ?? '')) };
      }
      case 'Fn::Select': {
        const [index, list] = items(this.doc, arg);
        const i = this.evaluate(index, depth);
        if (!i.ok || !/^\d+$/.test(String(i.value))) return { ok: false };
        const listNode = this.select(list);
        // A literal list: evaluate only the chosen item, so its origin (line) survives.
        if (isSeq(listNode) && !intrinsic(this.doc, listNode)) {
          const list = items(this.doc, listNode);
          const item = list[Number(i.value)];
          return item
            ? this.evaluate(item, depth)
            : { ok: false, error: `Fn::Select index ${i.value} is past the end of a ${list.length}-item list` };
        }
        const l = this.evaluate(listNode, depth);
        if (!l.ok || !Array.isArray(l.value) || Number(i.value) >= l.value.length) return { ok: false };
        return { ok: true, value: l.value[Number(i.value)] };
      }
      case 'Fn::Split': {
        const [delim, str] = items(this.doc, arg);
        const d = this.evaluate(delim, depth);
        const v = this.evaluate(str, depth);
        if (!d.ok || !v.ok || typeof v.value !== 'string') return { ok: false };
        return { ok: true, value: v.value.split(String(d.value)) };
      }
      default:
        // Fn::GetAtt, Fn::ImportValue, Fn::GetAZs, Fn::Cidr, Fn::Base64, Fn::Transform, …: known
        // only after deployment (or not a port at all).
        return { ok: false };
    }
  }

  private ref(name: string): Evaluated {
    if (name === 'AWS::NoValue') return { ok: true, value: NO_VALUE };
    const given = this.given.get(name);
    const decl = get(this.doc, this.section('Parameters'), name);
    if (!decl) {
      // A resource's Ref is its physical id, and pseudo parameters are the stack's: both known
      // only after deployment. Any other name is a template error.
      // With a Transform (SAM, AWS::LanguageExtensions) the deployed template has resources this
      // one does not spell out (ServerlessRestApi, <Function>Role, Fn::ForEach's): unknown here.
      if (
        name.startsWith('AWS::') ||
        get(this.doc, this.section('Resources'), name) ||
        get(this.doc, this.doc.contents, 'Transform')
      )
        return { ok: false };
      return {
        ok: false,
        error: `Ref to ${JSON.stringify(name)}: the template has no parameter or resource of that name`,
      };
    }
    const typeNode = get(this.doc, decl, 'Type');
    const type = isScalar(typeNode) ? String(typeNode.value) : '';
    const asList = (v: unknown): unknown =>
      /List|CommaDelimited/.test(type) && typeof v === 'string' ? v.split(',').map((x) => x.trim()) : v;
    if (given) return { ok: true, value: asList(given.value), origin: given.origin };
    const def = get(this.doc, decl, 'Default');
    if (!def || !isScalar(def)) return { ok: false };
    return {
      ok: true,
      value: asList(def.value),
      origin: {
        kind: 'parameter-default',
        file: this.s.file,
        line: lineOf(this.s.lc, def),
        name,
        text: sourceText(this.s, def),
      },
    };
  }

  private findInMap(arg: Node, depth: number): Evaluated {
    const [map, k1, k2] = items(this.doc, arg);
    const names = [map, k1, k2].map((n) => this.evaluate(n, depth));
    const failed = names.find((n) => !n.ok);
    if (failed) return failed;
    const [m, a, b] = names.map((n) => String((n as { value: unknown }).value));
    const value = get(this.doc, get(this.doc, get(this.doc, this.section('Mappings'), m!), a!), b!);
    return value ? this.evaluate(value, depth) : { ok: false, error: `Fn::FindInMap: Mappings has no ${m}.${a}.${b}` };
  }

  private sub(arg: Node, depth: number): Evaluated {
    let template: Node | undefined = arg;
    let vars: Node | undefined;
    if (isSeq(arg)) [template, vars] = items(this.doc, arg);
    if (!template || !isScalar(template)) return { ok: false };
    let failed = false;
    const out = String(template.value).replace(/\$\{(!?)([^}]*)\}/g, (_all, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      const local = vars ? get(this.doc, vars, name) : undefined;
      const e = local ? this.evaluate(local, depth) : this.ref(name);
      if (!e.ok || e.value === NO_VALUE || typeof e.value === 'object') {
        failed = true;
        return '';
      }
      return String(e.value);
    });
    return failed ? { ok: false } : { ok: true, value: out };
  }

  /** A named condition from `Conditions`: true / false when it can be decided, undefined otherwise. */
  condition(name: string): boolean | undefined {
    if (this.conditionCache.has(name)) return this.conditionCache.get(name);
    if (this.conditionsInProgress.has(name)) return undefined; // a cycle: undecidable
    this.conditionsInProgress.add(name);
    const node = get(this.doc, this.section('Conditions'), name);
    const result = node ? this.decide(node, 0) : undefined;
    this.conditionsInProgress.delete(name);
    this.conditionCache.set(name, result);
    return result;
  }

  private decide(raw: unknown, depth: number): boolean | undefined {
    if (depth > 32) return undefined;
    const fn = intrinsic(this.doc, raw, true);
    if (!fn) return undefined;
    const args = items(this.doc, fn.arg);
    switch (fn.fn) {
      case 'Condition':
        return isScalar(fn.arg) ? this.condition(String(fn.arg.value)) : undefined;
      case 'Fn::Equals': {
        const [a, b] = args.map((n) => this.evaluate(n, depth + 1));
        if (!a?.ok || !b?.ok) return undefined;
        return String(a.value) === String(b.value);
      }
      case 'Fn::Not': {
        const v = args[0] ? this.decide(args[0], depth + 1) : undefined;
        return v === undefined ? undefined : !v;
      }
      case 'Fn::And': {
        const vs = args.map((n) => this.decide(n, depth + 1));
        if (vs.includes(false)) return false;
        return vs.includes(undefined) ? undefined : true;
      }
      case 'Fn::Or': {
        const vs = args.map((n) => this.decide(n, depth + 1));
        if (vs.includes(true)) return true;
        return vs.includes(undefined) ? undefined : false;
      }
      default:
        return undefined;
    }
  }
}
