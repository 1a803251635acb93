// A CloudFormation parameters file (`--parameters F`), in any of the shapes people keep them in:
//   [{"ParameterKey": "DbPort", "ParameterValue": "5433"}]     (aws cloudformation --parameters)
//   {"DbPort": "5433"}                                           (sam / rain style)
//   {"Parameters": {"DbPort": "5433"}}                           (CodePipeline template configuration)
// JSON or YAML. Each value keeps its line: a port that comes from here has origin
// `parameter-file`, which is what `portdrift fix` edits.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq } from 'yaml';
import { PortdriftError } from '../../errors.js';
import { get, items, keyString, lineOf, pairs, parseYamlDocument, sourceText, streamProblems } from '../yaml.js';
import type { GivenParameter } from './evaluate.js';

export function parseParameters(file: string, text: string): Map<string, GivenParameter> {
  const s = parseYamlDocument(file, text, { uniqueKeys: true });
  const errors = streamProblems(s).map((p) => `${file}:${p.line ?? 1}: ${p.message}`);
  const doc = s.docs[0]!;
  const out = new Map<string, GivenParameter>();
  const put = (name: string, node: unknown, where: string): void => {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      errors.push(`${where}: the value of ${name} must be a string or number`);
      return;
    }
    out.set(name, {
      value: String(node.value),
      origin: { kind: 'parameter-file', file, line: lineOf(s.lc, node), name, text: sourceText(s, node) },
    });
  };
  if (errors.length === 0) {
    let top = doc.contents;
    if (isMap(top) && get(doc, top, 'Parameters') && isMap(get(doc, top, 'Parameters')))
      top = get(doc, top, 'Parameters') as typeof top;
    if (isSeq(top)) {
      items(doc, top).forEach((entry, i) => {
        const where = `${file}:${lineOf(s.lc, entry)}: [${i}]`;
        const key = get(doc, entry, 'ParameterKey');
        if (!isMap(entry) || !isScalar(key))
          return void errors.push(`${where}: expected {ParameterKey, ParameterValue}`);
        const value = get(doc, entry, 'ParameterValue');
        // UsePreviousValue entries carry no value: the deployed one is not known here.
        if (value === undefined) return;
        put(String(key.value), value, where);
      });
    } else if (isMap(top)) {
      for (const p of pairs(doc, top)) put(keyString(p), p.value, `${file}:${lineOf(s.lc, p.key as never)}`);
    } else {
      errors.push(`${file}:1: expected a list of {ParameterKey, ParameterValue} or a map of names to values`);
    }
  }
  if (errors.length > 0) {
    throw new PortdriftError('PD_PARAMETERS_INVALID', `parameters file ${file} is invalid:\n  ${errors.join('\n  ')}`, {
      details: { problems: errors },
    });
  }
  return out;
}

export async function readParametersFile(path: string, file: string): Promise<Map<string, GivenParameter>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PortdriftError(
      'PD_PARAMETERS_INVALID',
      `parameters file ${file} cannot be read: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseParameters(file, text);
}
