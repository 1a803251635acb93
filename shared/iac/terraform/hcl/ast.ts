// The syntax tree of HCL's expression language, as far as Terraform evaluates it statically.
// Every node keeps its source text (`text`) so whatever cannot be known is reported as written;
// literals keep their offset and raw text so a port points at the line `portdrift fix` edits.

export type Expr =
  | { k: 'lit'; v: number | string | boolean | null; at: number; raw: string; text: string }
  | { k: 'tuple'; items: Expr[]; text: string }
  | { k: 'object'; items: { key: Expr; value: Expr }[]; text: string }
  /** A root name: `var`, `local`, `each`, `count`, `module`, a resource type or a `for` symbol. */
  | { k: 'name'; name: string; text: string }
  | { k: 'attr'; obj: Expr; name: string; text: string }
  | { k: 'index'; obj: Expr; key: Expr; text: string }
  /** `obj[*].rest` (and the legacy `obj.*.rest`): `each` applied to every element, bound as `item`. */
  | { k: 'splat'; obj: Expr; each: Expr; text: string }
  | { k: 'item'; text: string }
  | { k: 'call'; name: string; args: Expr[]; expand: boolean; text: string }
  | { k: 'template'; parts: (string | Expr)[]; text: string }
  | { k: 'unary'; op: '!' | '-'; x: Expr; text: string }
  | { k: 'binary'; op: string; l: Expr; r: Expr; text: string }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr; text: string }
  | {
      k: 'for';
      keyVar: string | undefined;
      valVar: string;
      coll: Expr;
      key: Expr | undefined;
      value: Expr;
      cond: Expr | undefined;
      group: boolean;
      text: string;
    }
  /** Syntax this parser does not evaluate (template directives): unknown, with its text. */
  | { k: 'raw'; text: string };
