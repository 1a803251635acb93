// Tokens of HCL's expression syntax over a span of a file's text. Strings and heredocs are one
// token each (their templates are scanned by template.ts); `nl` says a newline came before the
// token, which ends an item inside an object constructor as it does in HCL.
import { skipString } from './locate.js';

export type TokenKind = 'num' | 'ident' | 'str' | 'heredoc' | 'op' | 'eof';

export interface Token {
  k: TokenKind;
  /** Offsets [s, e) in the text. */
  s: number;
  e: number;
  /** Identifier name, operator, or number text. */
  v: string;
  nl: boolean;
  /** Heredocs: the body span, the terminator and whether it is `<<-` (indented). */
  body?: { s: number; e: number; indented: boolean };
}

const OPS3 = new Set(['...']);
const OPS2 = new Set(['==', '!=', '<=', '>=', '&&', '||', '=>', '::']);
const OPS1 = new Set([...'+-*/%<>!?:.,()[]{}=']);
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEREDOC = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;

export class LexError extends Error {}

export function tokenize(text: string, start: number, end: number): Token[] {
  const out: Token[] = [];
  let i = start;
  let nl = false;
  const push = (k: TokenKind, s: number, e: number, v: string, body?: Token['body']): void => {
    out.push(body ? { k, s, e, v, nl, body } : { k, s, e, v, nl });
    nl = false;
  };
  while (i < end) {
    const c = text[i]!;
    if (c === '\n') {
      nl = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < end && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      if (e === -1 || e + 2 > end) throw new LexError('unterminated comment');
      if (text.slice(i, e).includes('\n')) nl = true;
      i = e + 2;
    } else if (c === '"') {
      const e = skipString(text, i);
      if (text[e - 1] !== '"' || e > end || e === i + 1) throw new LexError('unterminated string');
      push('str', i, e, '');
      i = e;
    } else if (c === '<' && text[i + 1] === '<') {
      HEREDOC.lastIndex = i;
      const m = HEREDOC.exec(text);
      if (!m) throw new LexError('bad heredoc');
      const bodyStart = i + m[0].length;
      let j = bodyStart;
      let done = -1;
      while (j <= end) {
        let eol = text.indexOf('\n', j);
        if (eol === -1 || eol > end) eol = end;
        if (text.slice(j, eol).trim() === m[2]) {
          done = eol;
          break;
        }
        if (eol >= end) break;
        j = eol + 1;
      }
      if (done === -1) throw new LexError('unterminated heredoc');
      push('heredoc', i, done, m[2]!, { s: bodyStart, e: j, indented: m[1] === '-' });
      i = done;
    } else if (c >= '0' && c <= '9') {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text)!;
      push('num', i, i + m[0].length, m[0]);
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      IDENT.lastIndex = i;
      const m = IDENT.exec(text)!;
      push('ident', i, i + m[0].length, m[0]);
      i += m[0].length;
    } else {
      const three = text.slice(i, i + 3);
      const two = text.slice(i, i + 2);
      const op = OPS3.has(three) ? three : OPS2.has(two) ? two : OPS1.has(c) ? c : undefined;
      if (op === undefined) throw new LexError(`unexpected character ${JSON.stringify(c)}`);
      push('op', i, i + op.length, op);
      i += op.length;
    }
  }
  push('eof', end, end, '');
  return out;
}
