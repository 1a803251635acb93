// The Compose extractor (Compose Specification; docs/design/iac-extraction.md#compose). Each service is a resource
// `compose:SERVICE` whose derived host is the service name (what other containers on the
// project network connect to). What listens there is the CONTAINER side of every `ports` entry
// (short and long syntax, ranges, IPv6 host addresses, `/udp`) and every `expose` entry; the
// published host side binds on the Docker host, which a Compose file does not name, so it is
// not an endpoint. Parsed as YAML 1.2 with merge keys (`<<: *base`), so `22:22` stays a string.
// A value holding `${VAR}` interpolation depends on the environment at `docker compose up`
// time: it is listed as unresolved, not guessed from its `:-default`.
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import type { DeclaredModel, Protocol } from '../types.js';
import { toPortRange } from './declare.js';
import { parseShortPort } from './compose-ports.js';
import { expectSince, imageService } from './expect.js';
import { emptyModel, mergeInto, type Extractor, type SourceFile } from './model.js';
import {
  deref,
  get,
  getPair,
  items,
  keyString,
  lineOf,
  literalOrigin,
  pairLine,
  pairs,
  parseYamlStream,
  scalarString,
  sourceText,
  streamProblems,
  unparsed,
} from './yaml.js';

const COMPOSE_NAME = /(^|[\\/])(docker-)?compose[^\\/]*\.ya?ml$/i;

export function looksLikeCompose(path: string, head: string): boolean {
  return /\.ya?ml$/i.test(path) && (COMPOSE_NAME.test(path) || /^services\s*:/m.test(head));
}

function composeProtocol(p: string | undefined): Protocol | undefined {
  const v = (p ?? 'tcp').toLowerCase();
  return v === 'tcp' || v === 'udp' ? v : undefined;
}

export function extractCompose(f: SourceFile): DeclaredModel {
  const model = emptyModel();
  const s = parseYamlStream(f.file, f.text, { merge: true, version: '1.2' });
  const problems = streamProblems(s);
  model.problems.push(...problems);
  // A syntax error leaves no trustworthy tree; an unknown tag only poisons the value under it.
  if (unparsed(problems)) return model;
  const doc = s.docs.find((d) => d.contents !== null);
  const services = doc ? get(doc, doc.contents, 'services') : undefined;
  if (!doc || !isMap(services)) {
    model.problems.push({ file: f.file, line: 1, code: 'PD_IAC_SHAPE', message: 'Compose file has no `services` map' });
    return model;
  }
  for (const svcPair of pairs(doc, services)) {
    const name = keyString(svcPair);
    const address = `compose:${name}`;
    const svc = svcPair.value;
    model.resources.push({
      address,
      type: 'compose_service',
      source: { file: f.file, line: pairLine(s.lc, svcPair) },
      hosts: [name],
    });
    const from = model.endpoints.length;
    const seen = new Set<string>();
    const emit = (
      value: string,
      protocolText: string | undefined,
      attribute: string,
      line: number,
      node: Node,
    ): void => {
      if (value.includes('${')) {
        model.unresolved.push({
          resource: address,
          attribute,
          expression: sourceText(s, node),
          source: { file: f.file, line },
        });
        return;
      }
      const range = toPortRange(value);
      const protocol = composeProtocol(protocolText);
      if (!range || protocolText === '') {
        model.problems.push({
          file: f.file,
          line,
          code: 'PD_IAC_SHAPE',
          message: `${address} ${attribute}: ${sourceText(s, node)} is not a port, a range or PORT/PROTOCOL`,
        });
        return;
      }
      if (!protocol) return; // sctp: no TCP/UDP port to probe
      const key = `${range.port}-${range.toPort ?? ''}/${protocol}`;
      if (seen.has(key)) return;
      seen.add(key);
      const literal = isScalar(node) && typeof node.value === 'number' ? { origin: literalOrigin(s, node) } : {};
      model.endpoints.push({
        resource: address,
        host: null,
        ...range,
        protocol,
        role: 'listen',
        source: { file: f.file, line },
        ...literal,
      });
    };
    // A `ports` or `expose` that is not a list, or an entry that is neither a string, a number
    // nor (ports) a long-syntax map, is a mistake Compose itself rejects: say so instead of
    // extracting nothing from it.
    const listOf = (key: 'ports' | 'expose'): Node[] => {
      const pair = getPair(doc, svc, key);
      if (!pair) return [];
      const node = deref(doc, pair.value);
      if (node === undefined || node === null || (isScalar(node) && node.value === null)) return [];
      if (!isSeq(node)) {
        model.problems.push({
          file: f.file,
          line: pairLine(s.lc, pair),
          code: 'PD_IAC_SHAPE',
          message:
            `${address} services.${name}.${key}: must be a list (\`` +
            `${key === 'ports' ? '- "8080:80"' : '- "3000"'}\`), got ${sourceText(s, node)}`,
        });
        return [];
      }
      return items(doc, node);
    };
    const notPort = (entry: Node, attribute: string): void =>
      void model.problems.push({
        file: f.file,
        line: lineOf(s.lc, entry),
        code: 'PD_IAC_SHAPE',
        message: `${address} ${attribute}: ${sourceText(s, entry) || 'null'} is not a port, a range or PORT/PROTOCOL`,
      });
    listOf('ports').forEach((entry, i) => {
      const attribute = `services.${name}.ports[${i}]`;
      if (isMap(entry)) {
        const target = getPair(doc, entry, 'target');
        if (!target) {
          model.problems.push({
            file: f.file,
            line: lineOf(s.lc, entry),
            code: 'PD_IAC_SHAPE',
            message: `${address} ${attribute}: long syntax without \`target\``,
          });
          return;
        }
        emit(
          scalarString(doc, target.value) ?? '',
          scalarString(doc, get(doc, entry, 'protocol')),
          `${attribute}.target`,
          pairLine(s.lc, target),
          target.value as Node,
        );
        return;
      }
      const written = isScalar(entry) && entry.value !== null ? scalarString(doc, entry) : undefined;
      if (written === undefined) return notPort(entry, attribute);
      const short = parseShortPort(written);
      const size = (r: string | undefined) => (r === undefined ? undefined : /^(\d+)-(\d+)$/.exec(r));
      const pub = size(short.published);
      const tgt = size(short.target);
      if (pub && tgt && Number(pub[2]) - Number(pub[1]) !== Number(tgt[2]) - Number(tgt[1])) {
        model.problems.push({
          file: f.file,
          line: lineOf(s.lc, entry),
          code: 'PD_IAC_SHAPE',
          message:
            `${address} ${attribute}: ${sourceText(s, entry)} maps a range of ` +
            `${Number(pub[2]) - Number(pub[1]) + 1} ports onto ` +
            `${Number(tgt[2]) - Number(tgt[1]) + 1}; the ranges must be the same size`,
        });
        return;
      }
      emit(short.target, short.protocol, attribute, lineOf(s.lc, entry), entry);
    });
    listOf('expose').forEach((entry, i) => {
      if (!isScalar(entry) || entry.value === null) return notPort(entry, `services.${name}.expose[${i}]`);
      const written = scalarString(doc, entry) ?? '';
      const slash = written.lastIndexOf('/');
      emit(
        slash >= 0 ? written.slice(0, slash) : written,
        slash >= 0 ? written.slice(slash + 1) : undefined,
        `services.${name}.expose[${i}]`,
        lineOf(s.lc, entry),
        entry,
      );
    });
    // A well-known image names the service of its own port (`postgres:16` → postgres on 5432).
    const imagePair = getPair(doc, svc, 'image');
    const image = imagePair ? scalarString(doc, imagePair.value) : undefined;
    if (imagePair && image) {
      const source = { file: f.file, line: pairLine(s.lc, imagePair) };
      const by = `image ${image}`;
      expectSince(model, from, address, (e) => ({ service: imageService(image, e.port), source, by }));
    }
  }
  return model;
}

export const composeExtractor: Extractor = {
  name: 'compose',
  claims: looksLikeCompose,
  async extract(files: SourceFile[]): Promise<DeclaredModel> {
    const model = emptyModel();
    for (const f of files) {
      mergeInto(model, extractCompose(f));
    }
    return model;
  },
};
