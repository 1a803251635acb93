// A cursor over the tokens of one expression, for the parser: look-ahead, operator tests that
// respect HCL's newline rule inside object constructors, and source text of what was consumed.
import type { Token } from './lexer.js';

/** Syntax the parser does not accept; caught where parsing starts, which then gives a `raw` node. */
export class ParseError extends Error {}

export class TokenCursor {
  protected i = 0;
  /** True inside an object constructor: a newline ends the item's expression. */
  protected newlines: boolean[] = [false];

  constructor(
    protected readonly text: string,
    protected readonly toks: Token[],
  ) {}

  peek(): Token {
    return this.toks[this.i]!;
  }

  protected next(): Token {
    return this.toks[this.i++]!;
  }

  protected isOp(v: string, t = this.peek()): boolean {
    return t.k === 'op' && t.v === v && !(this.newlines[this.newlines.length - 1] && t.nl);
  }

  protected expect(v: string): Token {
    const t = this.next();
    if (t.k !== 'op' || t.v !== v) throw new ParseError(`expected ${v}`);
    return t;
  }

  protected from(s: number): string {
    return this.text.slice(s, this.toks[this.i - 1]!.e);
  }

  protected nested<T>(newlines: boolean, f: () => T): T {
    this.newlines.push(newlines);
    try {
      return f();
    } finally {
      this.newlines.pop();
    }
  }
}
