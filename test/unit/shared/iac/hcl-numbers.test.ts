// Hiding integer literals from hcl2json (shared/iac/terraform/hcl/numbers.ts) must not change a single
// byte of what the extractor sees: every case is parsed twice by the real hcl2json, plainly and
// with numbers hidden, and the two bodies must be deeply equal; a file that does not parse must
// give the user's own diagnostics.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hideNumbers, parseHidingNumbers, restoreNumbers } from '../../../../shared/iac/terraform/hcl/numbers.js';
import { loadHcl2Json } from '../../../../shared/iac/terraform/hcl/hcl2json.js';

const repo = join(import.meta.dirname, '..', '..', '..', '..');

function hclFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return hclFiles(p);
    return /\.(tf|tfvars)$/.test(n) ? [p] : [];
  });
}

const edge: Record<string, string> = {
  'plain attributes': 'resource "aws_db_instance" "a" {\n  port = 5432\n  allocated_storage = 20\n  name = "x"\n}\n',
  'zero and a 15-digit integer': 'locals {\n  a = 0\n  b = 123456789012345\n}\n',
  'not hidden: 16 digits, leading zero, float, exponent, negative':
    'locals {\n  a = 1234567890123456\n  b = 0800\n  c = 1.5\n  d = 1e3\n  e = -1\n}\n',
  'one-line blocks': 'locals { a = 1 }\nvariable "p" { default = 8080 }\n',
  'comments after the value': 'locals {\n  a = 5 # five\n  b = 6 // six\n  c = 7 /* seven */\n}\n',
  'CRLF line ends': 'locals {\r\n  a = 5\r\n  b = "x"\r\n}\r\n',
  'tabs and no spaces': 'locals {\n\ta=5\n\tb =\t6\n}\n',
  'tuples and objects keep their literals':
    'locals {\n  ports = [80, 443]\n  obj = { port = 8080, name = "x" }\n  nested = { inner = { port = 1 } }\n}\n',
  'expressions with numbers':
    'resource "x" "y" {\n  count = var.n + 1\n  port = var.p == 0 ? 80 : var.p\n  n = max(1, 2)\n}\n',
  'numbers in strings and heredocs stay text':
    'locals {\n  a = "port = 22"\n  b = <<EOT\nport = 22\nEOT\n  c = "${1 + 2}"\n}\n',
  'nested and dynamic blocks':
    'resource "aws_security_group" "s" {\n  ingress {\n    from_port = 22\n    to_port = 22\n  }\n ' +
    ' dynamic "egress" {\n    for_each = [1]\n    content {\n      from_port = 443\n    }\n  }\n}\n',
  tfvars: 'app_port = 8080\nreplicas = 3\nname = "web"\n',
  'a file that already uses the sentinel name': 'locals {\n  __pd_n_5 = 1\n  a = __pd_n_5\n  b = 7\n}\n',
  'duplicate attribute names in sibling blocks': 'resource "a" "b" {\n  x { p = 1 }\n  x { p = 2 }\n}\n',
};

describe('hideNumbers', () => {
  it('rewrites only whole integer values of attributes', () => {
    expect(hideNumbers('a = 5\nb = "5"\nc = [5]\nd = 5.5\n')).toBe('a = __pd_n_5\nb = "5"\nc = [5]\nd = 5.5\n');
    expect(hideNumbers('a = "x"\n')).toBeNull();
    expect(hideNumbers('a = __pd_n_1\nb = 2\n')).toBeNull();
  });

  it('restoreNumbers turns exactly the sentinel strings back', () => {
    expect(
      restoreNumbers({ a: '${__pd_n_5}', b: ['${__pd_n_0}', '${__pd_n_5}x', '${var.x}'], c: [{ d: '${__pd_n_12}' }] }),
    ).toEqual({ a: 5, b: [0, '${__pd_n_5}x', '${var.x}'], c: [{ d: 12 }] });
  });
});

describe('parseHidingNumbers gives what hcl2json gives', () => {
  for (const [name, text] of Object.entries(edge)) {
    it(name, async () => {
      const lib = await loadHcl2Json();
      expect(await parseHidingNumbers(lib, 'edge.tf', text)).toEqual(await lib.parse('edge.tf', text));
    });
  }

  it('every Terraform file of the fixtures and the examples', async () => {
    const lib = await loadHcl2Json();
    const files = [
      ...hclFiles(join(repo, 'test', 'fixtures', 'terraform')),
      ...hclFiles(join(repo, 'examples')),
    ].filter((f) => !f.endsWith('bad.tf'));
    expect(files.length).toBeGreaterThan(10);
    let hidden = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      if (hideNumbers(text) !== null) hidden++;
      expect(await parseHidingNumbers(lib, f, text), f).toEqual(await lib.parse(f, text));
    }
    expect(hidden).toBeGreaterThan(5);
  });

  it('a file that does not parse fails with the diagnostics of the text as written', async () => {
    const lib = await loadHcl2Json();
    const text = 'resource "aws_db_instance" "bad" {\n  port = 5432\n  allocated_storage =\n}\nlocals { a = 1 }\n';
    expect(hideNumbers(text)).not.toBeNull();
    const plain = await lib.parse('bad.tf', text).then(
      () => 'parsed',
      (e: Error) => e.message,
    );
    const hiddenRun = await parseHidingNumbers(lib, 'bad.tf', text).then(
      () => 'parsed',
      (e: Error) => e.message,
    );
    expect(plain).not.toBe('parsed');
    expect(hiddenRun).toBe(plain);
  });
});
