// The line locator (docs/design/iac-extraction.md#line-locator) on input built to fool a regex: braces and `port =`
// inside comments, strings, interpolations and heredocs; one-line blocks; CRLF.
import { describe, expect, it } from 'vitest';
import { findKey, locateHcl } from '../../../../../shared/iac/terraform/hcl/locate.js';

const lines = (text: string): Record<string, number> =>
  Object.fromEntries([...locateHcl(text).attrs].map(([k, v]) => [k, v.line]));

describe('locateHcl', () => {
  it('ignores braces and attributes inside comments and strings', () => {
    const text = [
      '# resource "x" "y" { port = 1 }',
      '/* a { block',
      '   port = 2 } */',
      'resource "aws_db_instance" "a" { // {',
      '  name = "port = 3 { }"',
      '  desc = "${lookup({ a = "}" }, "a")} and ${"{"}"',
      '  port = 5432',
      '}',
    ].join('\n');
    expect(lines(text)).toEqual({
      'resource.aws_db_instance.a.name': 5,
      'resource.aws_db_instance.a.desc': 6,
      'resource.aws_db_instance.a.port': 7,
    });
  });

  it('skips heredocs (also indented ones and ones with braces and fake terminators)', () => {
    const text = [
      'resource "aws_ecs_task_definition" "t" {',
      '  container_definitions = <<-EOT',
      '    [{ "portMappings": [{ "containerPort": 80 }] }',
      '    port = 9 {',
      '    EOTX',
      '    EOT',
      '  cpu = 256',
      '  user_data = <<EOF',
      '}',
      'EOF',
      '}',
      'locals { after = 1 }',
    ].join('\n');
    const r = locateHcl(text);
    expect(lines(text)).toEqual({
      'resource.aws_ecs_task_definition.t.container_definitions': 2,
      'resource.aws_ecs_task_definition.t.cpu': 7,
      'resource.aws_ecs_task_definition.t.user_data': 8,
      'locals.after': 12,
    });
    const defs = r.attrs.get('resource.aws_ecs_task_definition.t.container_definitions')!;
    expect(r.lineAt(findKey(text, defs.start, defs.end, 'containerPort', 0)!)).toBe(3);
  });

  it('indexes nested and dynamic blocks per type, like hcl2json arrays', () => {
    const text = `resource "aws_security_group" "web" {
  ingress { from_port = 80 }
  egress {
    from_port = 0
  }
  ingress {
    from_port = var.on ? (
      8443
    ) : 8080
    to_port = 443
  }
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port = ingress.value
    }
  }
}
`;
    const r = locateHcl(text);
    expect(lines(text)).toEqual({
      'resource.aws_security_group.web.ingress[0].from_port': 2,
      'resource.aws_security_group.web.egress[0].from_port': 4,
      'resource.aws_security_group.web.ingress[1].from_port': 7,
      'resource.aws_security_group.web.ingress[1].to_port': 10,
      'resource.aws_security_group.web.dynamic.ingress[0].for_each': 13,
      'resource.aws_security_group.web.dynamic.ingress[0].content[0].from_port': 15,
    });
    expect(r.blocks.get('resource.aws_security_group.web.dynamic.ingress[0].content[0]')).toBe(14);
    const multi = r.attrs.get('resource.aws_security_group.web.ingress[1].from_port')!;
    expect(text.slice(multi.start, multi.end).trim()).toBe('var.on ? (\n      8443\n    ) : 8080');
  });

  it('counts lines the same with CRLF', () => {
    const text =
      'variable "db_port" {\r\n  # port = 1\r\n  default = ' +
      '5432\r\n}\r\nresource "a" "b" {\r\n  port = var.db_port\r\n}\r\n';
    expect(lines(text)).toEqual({ 'variable.db_port.default': 3, 'resource.a.b.port': 6 });
  });

  it('handles nested interpolations with strings and escapes', () => {
    const text = 'locals {\n  a = "${format("%s-${var.x}", "}")} $${not} %%{not}"\n  b = 1\n}\n';
    expect(lines(text)).toEqual({ 'locals.a': 2, 'locals.b': 3 });
  });
});
