// The HCL expression language: the parser's tree (shared/iac/terraform/hcl) and what the
// evaluator (shared/iac/terraform/lang) computes statically, including what stays unknown (never guessed).
import { describe, expect, it } from 'vitest';
import { parseExpression } from '../../../../../shared/iac/terraform/hcl/parser.js';
import { evaluate, type Scope, type Writer } from '../../../../../shared/iac/terraform/lang/evaluate.js';
import { fromPlain, plain, unknown, type Value } from '../../../../../shared/iac/terraform/lang/values.js';
import { tokenize } from '../../../../../shared/iac/terraform/hcl/lexer.js';
import { convert } from '../../../../../shared/iac/terraform/lang/types.js';

const w: Writer = { kind: 'literal', file: 'main.tf', lineAt: (o) => o, line: 1 };

function run(text: string, vars: Record<string, unknown> = {}, extra: Partial<Scope> = {}): unknown {
  const scope: Scope = {
    vars: new Map(Object.entries(vars).map(([k, v]) => [k, v === UNKNOWN ? unknown(`var.${k}`) : fromPlain(v)])),
    local: () => undefined,
    ...extra,
  };
  return plain(evaluate(parseExpression(text), scope, w));
}
const UNKNOWN = Symbol('unknown');

describe('lexer', () => {
  it('marks tokens that follow a newline and keeps strings and heredocs whole', () => {
    const t = tokenize('a == "x${b}"\n<<EOF\nhi\nEOF', 0, 25);
    expect(t.map((x) => [x.k, x.nl])).toEqual([
      ['ident', false],
      ['op', false],
      ['str', false],
      ['heredoc', true],
      ['eof', false],
    ]);
  });
});

describe('parser', () => {
  it('gives operators their HCL precedence and keeps literal offsets', () => {
    const e = parseExpression('1 + 2 * 3 == 7 && !false');
    expect(e.k).toBe('binary');
    expect(run('1 + 2 * 3 == 7 && !false')).toBe(true);
    const lit = parseExpression('  8080');
    expect(lit).toMatchObject({ k: 'lit', v: 8080, at: 2 });
  });

  it('reads objects with newline-separated items, expression keys and for expressions', () => {
    expect(run('{\n  a = 1\n  "b" = 2, (var.k) = 3\n}', { k: 'c' })).toEqual({ a: 1, b: 2, c: 3 });
    const grouped = run('{ for k, v in var.m : v => k... if k != "x" }', { m: { x: 1, y: 2, z: 2 } });
    expect(grouped).toEqual({ 2: ['y', 'z'] });
  });

  it('what it cannot parse is raw, hence unknown with its text', () => {
    expect(run('%{ if true }a%{ endif }')).toEqual({ $expr: '%{ if true }a%{ endif }' });
    expect(run('"%{ if true }a"')).toEqual({ $expr: '"%{ if true }a"' });
    expect(run('"%{ endfor }"')).toEqual({ $expr: '"%{ endfor }"' });
  });

  it('template directives render: if / else / endif and for / endfor, with strip markers', () => {
    expect(run('"%{ if var.tls }443%{ else }80%{ endif }"', { tls: false })).toBe('80');
    expect(run('"x%{ if var.tls }s%{ endif }"', { tls: true })).toBe('xs');
    expect(run('"%{ for i, p in var.ports }${i}:${p} %{ endfor }"', { ports: [80, 443] })).toBe('0:80 1:443 ');
    const heredoc = '<<EOT\n[\n%{ for p in var.ports ~}\n{"containerPort": ${p}},\n%{ endfor ~}\n{}]\nEOT';
    const rendered = JSON.parse(String(run(heredoc, { ports: [80, 443] }))) as unknown;
    expect(rendered).toEqual([{ containerPort: 80 }, { containerPort: 443 }, {}]);
    expect(run('"%{ if var.u }a%{ endif }"', { u: UNKNOWN })).toEqual({ $expr: '"%{ if var.u }a%{ endif }"' });
  });
});

describe('evaluation', () => {
  it('conditionals take only the branch chosen; an unknown condition is unknown', () => {
    expect(run('var.create ? 1 : 0', { create: true })).toBe(1);
    expect(run('var.src == null ? "mysql" : null', { src: null })).toBe('mysql');
    expect(run('var.on ? var.missing["x"] : 5', { on: false, missing: {} })).toBe(5);
    const undecided = 'var.src == null ? "mysql" : null';
    expect(run(undecided, { src: UNKNOWN })).toEqual({ $expr: undecided });
  });

  it('a named-rule map looked up through lists, count.index and lookup defaults', () => {
    const rules = { 'postgresql-tcp': [5432, 5432, 'tcp', 'PostgreSQL'], _: ['', '', '', ''] };
    const vars = { rules, ingress_rules: ['postgresql-tcp'] };
    expect(run('var.rules[var.ingress_rules[count.index]][0]', vars, { count: { t: 'lit', v: 0 } })).toBe(5432);
    const withDefault = 'lookup(var.x[0], "from_port", var.rules[lookup(var.x[0], "rule", "_")][0])';
    expect(run(withDefault, { ...vars, x: [{ rule: 'postgresql-tcp' }] })).toBe(5432);
    expect(run(withDefault, { ...vars, x: [{ from_port: 6000 }] })).toBe(6000);
  });

  it('for expressions, splats and the collection functions', () => {
    const services = { web: { port: 80, on: true }, api: { port: 3000, on: true }, old: { port: 1, on: false } };
    expect(run('[for k, s in var.s : s.port if s.on]', { s: services })).toEqual([3000, 80]);
    expect(run('{ for k, s in var.s : k => s.port if s.on }', { s: services })).toEqual({ api: 3000, web: 80 });
    expect(run('values(var.s)[*].port', { s: services })).toEqual([3000, 1, 80]);
    expect(run('var.l.*.p', { l: [{ p: 1 }, { p: 2 }] })).toEqual([1, 2]);
    expect(run('flatten([[1], [2, [3]]])')).toEqual([1, 2, 3]);
    expect(run('zipmap(["a", "b"], [1, 2])')).toEqual({ a: 1, b: 2 });
    expect(run('sort(compact(distinct(concat(["b", "a"], ["a", "", null]))))')).toEqual(['a', 'b']);
    expect(run('element(keys({b = 1, a = 2}), 3)')).toBe('b');
    expect(run('contains(["a"], "a") && length("abc") == 3')).toBe(true);
    expect(run('coalesce(null, "", 5432)')).toBe(5432);
    expect(run('merge({a = 1}, null, {b = 2})')).toEqual({ a: 1, b: 2 });
    expect(run('tonumber("5432") + 1')).toBe(5433);
    expect(run('format("%s-%d", "db", 5)')).toBe('db-5');
  });

  it('try and can catch failures, not unknowns', () => {
    expect(run('try(var.m.port, 8080)', { m: {} })).toBe(8080);
    expect(run('try(var.m.port, 8080)', { m: UNKNOWN })).toEqual({ $expr: 'try(var.m.port, 8080)' });
    expect(run('can(var.m.port)', { m: { port: 1 } })).toBe(true);
    expect(run('can(var.m.port)', { m: {} })).toBe(false);
    // A function meeting an unknown inside a collection is unknown, not a failure try would skip.
    expect(run('length([{ ids = join(",", [data.x.y.id]) }])')).toBe(1);
    expect(run('try(join(",", [data.x.y.id]), "none")')).toEqual({ $expr: 'try(join(",", [data.x.y.id]), "none")' });
    // Outside try, a failure is reported like an unknown: the expression as written.
    expect(run('var.m.port', { m: {} })).toEqual({ $expr: 'var.m.port' });
  });

  it('templates and heredocs interpolate; resources and data sources stay unknown', () => {
    expect(run('"${var.a}-${1 + 1}"', { a: 'x' })).toBe('x-2');
    expect(run('<<-EOT\n    {"p": ${var.p}}\n    EOT', { p: 80 })).toBe('{"p": 80}\n');
    expect(run('aws_db_instance.main.port')).toEqual({ $expr: 'aws_db_instance.main.port' });
    expect(run('data.aws_x.y.port + 1')).toEqual({ $expr: 'data.aws_x.y.port + 1' });
    expect(run('[for x in var.u : x]', { u: UNKNOWN })).toEqual({ $expr: '[for x in var.u : x]' });
  });

  it('a literal keeps where it is written through conditionals and collections', () => {
    const scope: Scope = { vars: new Map<string, Value>([['on', { t: 'lit', v: true }]]), local: () => undefined };
    const v = evaluate(parseExpression('var.on ? [8443][0] : 80'), scope, w);
    expect(v).toMatchObject({ t: 'lit', v: 8443, o: { line: 10, text: '8443' } });
  });
});

describe('variable types', () => {
  it('optional() attributes get their defaults, primitives convert, unknowns stay unknown', () => {
    const type = parseExpression(
      'map(object({ port = optional(number, 8080), proto = optional(string), on = optional(bool, true) }))',
    );
    const scope: Scope = { vars: new Map(), local: () => undefined };
    const conv = (v: Value): unknown => plain(convert(v, type, (e) => evaluate(e, scope, w)));
    expect(conv(fromPlain({ a: {}, b: { port: '9090', on: 'false' } }))).toEqual({
      a: { port: 8080, proto: null, on: true },
      b: { port: 9090, proto: null, on: false },
    });
    expect(conv(unknown('var.x'))).toEqual({ $expr: 'var.x' });
    expect(plain(convert(fromPlain([80]), parseExpression('list(string)'), () => unknown('')))).toEqual(['80']);
  });
});
