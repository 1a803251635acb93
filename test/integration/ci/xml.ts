// A strict little XML 1.0 reader for the JUnit tests: it checks well-formedness (one root, tags
// nested and closed, attributes quoted and unique, only the five predefined entities or
// character references, no `<` or bare `&` in text, no control characters) and returns the
// element tree. No DTDs, no namespaces, no CDATA: the JUnit writer uses none of them.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = '[A-Za-z_][A-Za-z0-9_.-]*';
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function decode(text: string, where: string): string {
  return text.replace(/&([^;]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`${where}: bare '&'`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ref in named) return named[ref]!;
    const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (!num) throw new Error(`${where}: unknown entity ${m}`);
    return String.fromCodePoint(num[1] ? parseInt(num[1], 16) : Number(num[2]));
  });
}

export function parseXml(doc: string): XmlElement {
  if (BAD_CHARS.test(doc)) throw new Error('a character XML 1.0 does not allow');
  let i = 0;
  const decl = /^<\?xml\s+version="1\.0"(?:\s+encoding="UTF-8")?\s*\?>\s*/.exec(doc);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const tagRe = new RegExp(`<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`, 'y');
  const attrRe = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = doc.slice(i, lt === -1 ? doc.length : lt);
    if (text.includes('>') && /]]>/.test(text)) throw new Error(`offset ${i}: ']]>' in text`);
    if (stack.length === 0) {
      if (text.trim() !== '') throw new Error(`offset ${i}: text outside the root element`);
    } else stack[stack.length - 1]!.text += decode(text, `offset ${i}`);
    if (lt === -1) break;
    tagRe.lastIndex = lt;
    const m = tagRe.exec(doc);
    if (!m) throw new Error(`offset ${lt}: malformed tag ${JSON.stringify(doc.slice(lt, lt + 40))}`);
    const [whole, close, name, attrText, selfClose] = m;
    i = lt + whole.length;
    if (close) {
      if (attrText || selfClose) throw new Error(`offset ${lt}: malformed end tag`);
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`offset ${lt}: </${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    if (root && stack.length === 0) throw new Error(`offset ${lt}: a second root element <${name}>`);
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(attrRe)) {
      if (a[1]! in attrs) throw new Error(`offset ${lt}: attribute ${a[1]} twice`);
      attrs[a[1]!] = decode(a[2] ?? a[3] ?? '', `offset ${lt} attribute ${a[1]}`);
    }
    const el: XmlElement = { name: name!, attrs, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else root = el;
    if (!selfClose) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) throw new Error('no root element');
  return root;
}
