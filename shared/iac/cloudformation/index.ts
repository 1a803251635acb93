// The CloudFormation extractor: YAML (every short-form tag, AST kept so lines survive) and JSON
// templates, one code path (docs/design/iac-extraction.md#yaml). Resources are `cfn:LogicalId`; only the
// port-bearing types of resources.ts are listed. A resource whose `Condition` is decided false is
// not created, so it is left out; one whose condition cannot be decided is kept.
import { isScalar } from 'yaml';
import type { DeclaredModel } from '../../types.js';
import { emptyModel, mergeInto, type ExtractContext, type Extractor, type SourceFile } from '../model.js';
import { relativeTo } from '../walk.js';
import { get, keyString, pairLine, pairs, parseYamlDocument, streamProblems, unparsed } from '../yaml.js';
import { CfnEvaluator, type GivenParameter } from './evaluate.js';
import { readParametersFile } from './parameters.js';
import { expectCloudFormation } from './expect.js';
import { handlers } from './resources.js';
import { cfnTags } from './tags.js';

const TEMPLATE_NAME = /\.(ya?ml|json|template)$/i;

export function looksLikeCloudFormation(head: string): boolean {
  return (
    /AWSTemplateFormatVersion/.test(head) ||
    (/^\s*["']?Resources["']?\s*:/m.test(head) && /["']?Type["']?\s*:\s*["']?AWS::[A-Za-z0-9]+::/.test(head))
  );
}

export function extractTemplate(src: SourceFile, given: ReadonlyMap<string, GivenParameter>): DeclaredModel {
  const model = emptyModel();
  const s = parseYamlDocument(src.file, src.text, { customTags: cfnTags });
  const problems = streamProblems(s, ' (not a CloudFormation intrinsic function)');
  model.problems.push(...problems);
  // A syntax error leaves no trustworthy tree; an unknown tag only poisons the value under it
  // (the evaluator refuses it), so the rest of the template is still extracted.
  if (unparsed(problems)) return model;
  const ev = new CfnEvaluator(s, given);
  const doc = ev.doc;
  const resources = get(doc, doc.contents, 'Resources');
  if (!resources) {
    model.problems.push({
      file: src.file,
      line: 1,
      code: 'PD_IAC_SHAPE',
      message: 'CloudFormation template has no Resources section',
    });
    return model;
  }
  for (const pair of pairs(doc, resources)) {
    const id = keyString(pair);
    const typeNode = get(doc, pair.value, 'Type');
    const type = isScalar(typeNode) ? String(typeNode.value) : undefined;
    const handler = type ? handlers[type] : undefined;
    if (!type || !handler) continue;
    const cond = get(doc, pair.value, 'Condition');
    if (isScalar(cond) && ev.condition(String(cond.value)) === false) continue;
    const address = `cfn:${id}`;
    const line = pairLine(s.lc, pair);
    model.resources.push({ address, type, source: { file: src.file, line }, hosts: [] });
    const scope = { ev, address, line, props: get(doc, pair.value, 'Properties'), model };
    const from = model.endpoints.length;
    handler(scope);
    expectCloudFormation(scope, type, from);
  }
  return model;
}

export const cloudformationExtractor: Extractor = {
  name: 'cloudformation',
  claims: (path, head) => TEMPLATE_NAME.test(path) && looksLikeCloudFormation(head),
  async extract(files: SourceFile[], ctx: ExtractContext): Promise<DeclaredModel> {
    const file = ctx.options.parametersFile;
    const given = file ? await readParametersFile(file, relativeTo(ctx.root, file)) : new Map<string, GivenParameter>();
    const model = emptyModel();
    for (const f of files) {
      mergeInto(model, extractTemplate(f, given));
    }
    return model;
  },
};
