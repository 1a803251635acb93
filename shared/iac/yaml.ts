// YAML reading for the CloudFormation, Kubernetes and Compose extractors. They walk the AST
// (never `toJS()` values alone) so every port keeps its line; these helpers make that walk
// short: map lookup that honours merge keys (`<<: *base`) and aliases, sequence items, lines,
// and parse errors / unknown tags turned into Problems (docs/design/iac-extraction.md#yaml).
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, visit } from 'yaml';
import type { Document, Node, Pair, ParseOptions, DocumentOptions, SchemaOptions, YAMLMap } from 'yaml';
import type { Problem, ValueOrigin } from '../types.js';
import { jsonErrorClause, jsonErrorLine } from './files.js';

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

/** One parsed YAML stream: its documents (null ones kept, so callers can report them) and a line counter over the whole
 * text. */
export interface YamlStream {
  file: string;
  text: string;
  docs: Document.Parsed[];
  lc: LineCounter;
  /** A `.json` file that is not JSON (YAML would accept a trailing comma; the tools would not). */
  jsonError?: { line: number; message: string };
  /** Keys a map repeats, with the line of each occurrence; the last one was kept. */
  duplicates: { key: string; lines: number[] }[];
}

const isJsonFile = (file: string): boolean => /\.json$/i.test(file);

/**
 * A `.json` file is parsed as YAML for its lines, but must be JSON: what YAML forgives
 * (trailing commas, comments, single quotes) CloudFormation and kubectl refuse.
 */
function jsonError(file: string, text: string): YamlStream['jsonError'] {
  if (!isJsonFile(file)) return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const message = (err as Error).message;
    return { line: jsonErrorLine(message, text) ?? 1, message: jsonErrorClause(message) };
  }
}

/**
 * A repeated key is legal for most YAML tools (kubectl, CloudFormation, Compose keep the last
 * value) and common in real files; the yaml library's default refuses the whole document. So a
 * map keeps the last occurrence of each key (the earlier pairs are dropped from the tree, so
 * every lookup sees the value the tools use) and each repetition is remembered for a warning.
 * Option files (targets, parameters) pass `uniqueKeys: true` and stay strict.
 */
function keepLastKeys(docs: Document.Parsed[], lc: LineCounter): YamlStream['duplicates'] {
  const out: YamlStream['duplicates'] = [];
  for (const doc of docs) {
    visit(doc, {
      Map(_, map) {
        const byKey = new Map<string, Pair[]>();
        for (const item of map.items) {
          if (!isPair(item) || !isScalar(item.key) || isMergeKey(item.key)) continue;
          const k = String(item.key.value);
          byKey.set(k, [...(byKey.get(k) ?? []), item]);
        }
        const drop = new Set<Pair>();
        for (const [key, list] of byKey) {
          if (list.length < 2) continue;
          out.push({ key, lines: list.map((p) => pairLine(lc, p)) });
          list.slice(0, -1).forEach((p) => drop.add(p));
        }
        if (drop.size > 0) map.items = map.items.filter((i) => !drop.has(i as Pair));
      },
    });
  }
  return out;
}

const DEFAULTS = { logLevel: 'error', prettyErrors: false, uniqueKeys: false } as const;

function finish(file: string, text: string, docs: Document.Parsed[], lc: LineCounter, strict: boolean): YamlStream {
  const bad = jsonError(file, text);
  if (bad) return { file, text, docs: [], lc, jsonError: bad, duplicates: [] };
  return { file, text, docs, lc, duplicates: strict ? [] : keepLastKeys(docs, lc) };
}

export function parseYamlStream(file: string, text: string, options: YamlOptions = {}): YamlStream {
  const lc = new LineCounter();
  // parseAllDocuments never throws; errors and warnings are collected per document. logLevel
  // 'error' keeps the library from calling process.emitWarning for unknown tags (docs/design/iac-extraction.md#yaml).
  const parsed = parseAllDocuments(text, { lineCounter: lc, ...DEFAULTS, ...options });
  // A stream-level failure comes back as an EmptyStream with errors instead of an array.
  const docs = Array.isArray(parsed) ? parsed : [];
  return finish(file, text, docs, lc, options.uniqueKeys === true);
}

export function parseYamlDocument(file: string, text: string, options: YamlOptions = {}): YamlStream {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, ...DEFAULTS, ...options });
  // The document stays (its callers look at the problems before they walk it); a `.json` file
  // that is not JSON keeps it too.
  const s = finish(file, text, [doc], lc, options.uniqueKeys === true);
  return s.jsonError ? { ...s, docs: [doc] } : s;
}

/** 1-based line of a node's first character (a scalar's value, a collection's first item or tag). */
export function lineOf(
  lc: LineCounter,
  node: { range?: readonly [number, number, number] | null } | null | undefined,
  fallback = 1,
): number {
  const start = node?.range?.[0];
  return start === undefined ? fallback : lc.linePos(start).line;
}

/** The line of a pair: its key's line, the port's own line (docs/design/iac-extraction.md#source-lines). */
export function pairLine(lc: LineCounter, pair: Pair): number {
  return lineOf(lc, pair.key as Node, lineOf(lc, pair.value as Node));
}

/** Parse errors become PD_IAC_PARSE problems and unresolved tags PD_IAC_UNKNOWN_TAG problems, each with its line. */
export function streamProblems(s: YamlStream, unknownTagHint = ''): Problem[] {
  const out: Problem[] = [];
  if (s.jsonError)
    out.push({
      file: s.file,
      line: s.jsonError.line,
      code: 'PD_IAC_PARSE',
      message: `JSON does not parse: ${s.jsonError.message}`,
    });
  const format = isJsonFile(s.file) ? 'JSON' : 'YAML';
  for (const d of s.duplicates) {
    const at = d.lines.slice(0, -1).join(', ');
    const last = d.lines[d.lines.length - 1]!;
    const message =
      `key \`${d.key}\` is repeated in one map (lines ${at} and ${last}); ` +
      `the last value (line ${last}) is used, as YAML tools do`;
    out.push({ file: s.file, line: last, code: 'PD_IAC_DUPLICATE_KEY', severity: 'warning', message });
  }
  for (const doc of s.docs) {
    for (const e of doc.errors) {
      const line = e.linePos?.[0]?.line ?? s.lc.linePos(e.pos[0]).line;
      out.push({
        file: s.file,
        line,
        code: 'PD_IAC_PARSE',
        message: `${format} does not parse: ${firstLine(e.message)} (${e.code})`,
      });
    }
    for (const w of doc.warnings) {
      if (w.code !== 'TAG_RESOLVE_FAILED') continue;
      const line = w.linePos?.[0]?.line ?? s.lc.linePos(w.pos[0]).line;
      const tag = /Unresolved tag: (\S+)/.exec(w.message)?.[1] ?? 'tag';
      out.push({
        file: s.file,
        line,
        code: 'PD_IAC_UNKNOWN_TAG',
        message: `unknown YAML tag ${tag}${unknownTagHint}; the value under it is not extracted`,
      });
    }
  }
  return templateInstead(s, out);
}

/**
 * Go template actions (`{{ .Values.port }}`, `{{- if … }}`, `{{ include … }}`): Helm, helmfile
 * and similar. CloudFormation's dynamic references (`{{resolve:ssm:…}}`) are not among them.
 */
const GO_TEMPLATE = /\{\{-?\s*(?:\.|\$|(?:include|if|else|end|range|with|define|template|toYaml|tpl|printf|quote)\b)/;

/**
 * A template that does not parse as YAML is one problem (render it first), not one per line
 * the template syntax breaks: a chart's templates gave thousands.
 */
function templateInstead(s: YamlStream, problems: Problem[]): Problem[] {
  if (!problems.some((p) => p.code === 'PD_IAC_PARSE')) return problems;
  const m = GO_TEMPLATE.exec(s.text);
  if (!m) return problems;
  const line = s.lc.linePos(m.index).line;
  const message =
    'a Go template (Helm or similar), not YAML until rendered; not extracted: ' +
    'render it (`helm template`) and extract the output';
  const rest = problems.filter((p) => p.code !== 'PD_IAC_PARSE');
  return [...rest, { file: s.file, line, code: 'PD_IAC_NOT_RENDERED', message }];
}

/** Problems after which a file's tree cannot be trusted. */
export function unparsed(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.code === 'PD_IAC_PARSE' || p.code === 'PD_IAC_NOT_RENDERED');
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** Follow an alias to the node it names. */
export function deref(doc: Document, node: unknown): Node | undefined {
  let n = node as Node | undefined;
  for (let i = 0; i < 16 && n && isAlias(n); i++) n = n.resolve(doc) as Node | undefined;
  return n ?? undefined;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.value === '<<' || typeof key.value === 'symbol');
}

/** The pairs of a map with merge keys applied (explicit keys win over merged ones, earlier merges over later). */
export function pairs(doc: Document, node: unknown, depth = 0): Pair<Node, Node>[] {
  const map = deref(doc, node);
  if (!isMap(map) || depth > 16) return [];
  const own: Pair<Node, Node>[] = [];
  const merged: Pair<Node, Node>[] = [];
  for (const item of (map as YAMLMap<Node, Node>).items) {
    if (!isPair(item)) continue;
    if (isMergeKey(item.key)) {
      const v = deref(doc, item.value);
      const sources = isSeq(v) ? v.items : [v];
      for (const src of sources) merged.push(...pairs(doc, src, depth + 1));
    } else {
      own.push(item);
    }
  }
  const seen = new Set(own.map((p) => keyString(p)));
  const out = [...own];
  for (const p of merged) {
    const k = keyString(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

export function keyString(pair: Pair): string {
  const k = pair.key;
  return isScalar(k) ? String(k.value) : String(k);
}

export function getPair(doc: Document, node: unknown, key: string): Pair<Node, Node> | undefined {
  return pairs(doc, node).find((p) => keyString(p) === key);
}

/** The value node under `key`, aliases followed. */
export function get(doc: Document, node: unknown, key: string): Node | undefined {
  const p = getPair(doc, node, key);
  return p ? deref(doc, p.value) : undefined;
}

/** Walk a path of keys. */
export function getIn(doc: Document, node: unknown, path: string[]): Node | undefined {
  let n: Node | undefined = deref(doc, node);
  for (const k of path) {
    n = get(doc, n, k);
    if (!n) return undefined;
  }
  return n;
}

/** The items of a sequence, aliases followed; [] for anything else. */
export function items(doc: Document, node: unknown): Node[] {
  const seq = deref(doc, node);
  if (!isSeq(seq)) return [];
  return seq.items.map((i) => deref(doc, i)).filter((i): i is Node => i !== undefined && i !== null);
}

/** A scalar's value as a string (numbers too), or undefined for collections and null. */
export function scalarString(doc: Document, node: unknown): string | undefined {
  const n = deref(doc, node);
  if (!isScalar(n) || n.value === null || n.value === undefined) return undefined;
  return String(n.value);
}

/** The text of a node exactly as written in the file. */
export function sourceText(s: YamlStream, node: Node): string {
  const r = node.range;
  return r ? s.text.slice(r[0], r[1]).trim() : '';
}

/** A value's origin when it is written right there: the scalar's line and its text as written. */
export function literalOrigin(s: YamlStream, node: Node): ValueOrigin {
  return { kind: 'literal', file: s.file, line: lineOf(s.lc, node), text: sourceText(s, node) };
}

/** Plain JS value of a node, merge keys and aliases applied (for labels, selectors and other small things that need no
 * line). */
export function plain(doc: Document, node: unknown, depth = 0): unknown {
  const n = deref(doc, node);
  if (!n || depth > 64) return undefined;
  if (isScalar(n)) return n.value;
  if (isSeq(n)) return n.items.map((i) => plain(doc, i, depth + 1));
  if (isMap(n)) return Object.fromEntries(pairs(doc, n).map((p) => [keyString(p), plain(doc, p.value, depth + 1)]));
  return undefined;
}
