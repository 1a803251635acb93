// CloudFormation short-form intrinsic tags (`!Ref`, `!Sub`, …) registered with the YAML parser
// so the AST keeps them (docs/design/iac-extraction.md#cloudformation-tags): each tag resolves to its node, so the
// items of `!If [IsProd, 8443, 8080]` keep their own lines. A tag missing from this list is
// reported by the parser as TAG_RESOLVE_FAILED, which becomes a PD_IAC_UNKNOWN_TAG problem.
import { isMap, isPair, isScalar } from 'yaml';
import type { Document, Node, ScalarTag, CollectionTag } from 'yaml';
import { deref } from '../yaml.js';

/** Every short form CloudFormation defines, including the condition and rules functions and the language-extension
 * transform's `!Length` / `!ToJsonString`. */
export const SHORT_FORMS = [
  'Ref',
  'Condition',
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Length',
  'ToJsonString',
  // The rules functions of a template's `Rules` section: real functions, whose values (a
  // parameter's attribute, membership tests) are never known statically.
  'ValueOf',
  'ValueOfAll',
  'RefAll',
  'Contains',
  'EachMemberEquals',
  'EachMemberIn',
] as const;

export const cfnTags: (ScalarTag | CollectionTag)[] = SHORT_FORMS.flatMap((name) => [
  { tag: `!${name}`, resolve: (s: string) => s } as ScalarTag,
  { tag: `!${name}`, collection: 'seq', resolve: (node: unknown) => node } as unknown as CollectionTag,
  { tag: `!${name}`, collection: 'map', resolve: (node: unknown) => node } as unknown as CollectionTag,
]);

/** The long name of a short form: `Ref` and `Condition` stay, the rest become `Fn::Name`. */
export function longName(short: string): string {
  return short === 'Ref' || short === 'Condition' ? short : `Fn::${short}`;
}

export interface Intrinsic {
  /** `Ref`, `Condition` or `Fn::Name`. */
  fn: string;
  /** The argument node (for a tag: the node itself without its tag). */
  arg: Node;
}

/**
 * The intrinsic function a node calls, in either form: a tagged node, or a map with the single
 * key `Ref` / `Fn::…` (JSON templates, long-form YAML). `Condition` as a one-key map is only an
 * intrinsic inside condition expressions, where the caller passes `conditionContext`.
 */
export function intrinsic(doc: Document, raw: unknown, conditionContext = false): Intrinsic | undefined {
  const node = deref(doc, raw);
  if (!node) return undefined;
  const tag = (node as { tag?: string }).tag;
  if (tag?.startsWith('!')) {
    const short = tag.slice(1);
    if (!(SHORT_FORMS as readonly string[]).includes(short)) return undefined;
    const arg = node.clone() as Node;
    (arg as { tag?: string }).tag = undefined;
    return { fn: longName(short), arg };
  }
  if (isMap(node) && node.items.length === 1) {
    const pair = node.items[0];
    if (!isPair(pair) || !isScalar(pair.key)) return undefined;
    const key = String(pair.key.value);
    if (key === 'Ref' || key.startsWith('Fn::') || (conditionContext && key === 'Condition')) {
      const arg = deref(doc, pair.value);
      if (arg) return { fn: key, arg };
    }
  }
  return undefined;
}
