// The targets file (`--targets FILE`, docs/design/iac-extraction.md#hosts): hosts for
// resources that neither state nor derivation can place.
//
//   targets:
//     - resource: aws_ecs_task_definition.api   # an address, or a glob: "module.api.*"
//       hosts: [10.0.2.10, 10.0.2.11]
//
// In a glob `*` matches any run of characters (dots and brackets included, so `module.api.*`
// covers every resource of that module) and `?` one character. A file given on purpose that is
// wrong is an error (PD_TARGETS_INVALID) listing every problem, not a silently ignored entry.
import { readFile } from 'node:fs/promises';
import { isMap } from 'yaml';
import { PortdriftError } from '../errors.js';
import { addressGlob } from '../glob.js';
import { getPair, items, keyString, lineOf, pairs, parseYamlDocument, scalarString, streamProblems } from './yaml.js';
import { hostProblem } from '../hosts.js';

export interface TargetRule {
  pattern: string;
  hosts: string[];
  line: number;
  match: (address: string) => boolean;
}

export function globMatcher(pattern: string): (address: string) => boolean {
  if (!/[*?]/.test(pattern)) return (a) => a === pattern;
  return addressGlob(pattern, { question: true });
}

export function parseTargets(file: string, text: string): TargetRule[] {
  const s = parseYamlDocument(file, text, { uniqueKeys: true });
  const errors = streamProblems(s).map((p) => `${file}:${p.line ?? 1}: ${p.message}`);
  const doc = s.docs[0]!;
  const rules: TargetRule[] = [];
  if (errors.length === 0) {
    const top = doc.contents;
    const list = getPair(doc, top, 'targets');
    if (!isMap(top) || !list) errors.push(`${file}:1: expected a map with a \`targets:\` list`);
    else {
      for (const p of pairs(doc, top))
        if (keyString(p) !== 'targets')
          errors.push(`${file}:${lineOf(s.lc, p.key as never)}: unknown key \`${keyString(p)}\``);
      const entries = items(doc, list.value);
      if (entries.length === 0)
        errors.push(`${file}:${lineOf(s.lc, list.key as never)}: \`targets\` must be a non-empty list`);
      entries.forEach((entry, i) => {
        const line = lineOf(s.lc, entry);
        const where = `${file}:${line}: targets[${i}]`;
        if (!isMap(entry)) return void errors.push(`${where}: expected a map with \`resource\` and \`hosts\``);
        for (const p of pairs(doc, entry))
          if (!['resource', 'hosts'].includes(keyString(p))) errors.push(`${where}: unknown key \`${keyString(p)}\``);
        const resource = scalarString(doc, getPair(doc, entry, 'resource')?.value);
        if (!resource) errors.push(`${where}: \`resource\` must be an address or a glob`);
        const hostsNode = getPair(doc, entry, 'hosts')?.value;
        const hostNodes = items(doc, hostsNode);
        // `[fd00::1]` and `fd00::1` are one host: brackets are only how URLs write IPv6.
        const hosts = hostNodes.map((h) =>
          (scalarString(doc, h)?.trim() ?? '').replace(/^\[([0-9A-Fa-f:.%\w]+)\]$/, '$1'),
        );
        if (hostNodes.length === 0) errors.push(`${where}: \`hosts\` must be a non-empty list of IPs or DNS names`);
        hosts.forEach((h, j) => {
          const why = hostProblem(h);
          if (why) errors.push(`${where}.hosts[${j}]: ${why}`);
        });
        if (resource) rules.push({ pattern: resource, hosts, line, match: globMatcher(resource) });
      });
    }
  }
  if (errors.length > 0) {
    throw new PortdriftError('PD_TARGETS_INVALID', `targets file ${file} is invalid:\n  ${errors.join('\n  ')}`, {
      details: { problems: errors },
    });
  }
  return rules;
}

export async function readTargetsFile(path: string, file: string): Promise<TargetRule[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PortdriftError('PD_TARGETS_INVALID', `targets file ${file} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseTargets(file, text);
}

/** Every host the rules give an address, in rule order. */
export function targetHosts(rules: readonly TargetRule[], address: string): string[] {
  return rules.filter((r) => r.match(address)).flatMap((r) => r.hosts);
}
