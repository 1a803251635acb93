import { describe, expect, it } from 'vitest';
import { portOccurrences, rewritePort } from '../../../../shared/fix/literal.js';

const ok = (line: string) => ({ ok: true, line });

describe('rewritePort', () => {
  it('rewrites plain literals in HCL, YAML, JSON and list items, keeping quotes and comments', () => {
    expect(rewritePort('  port = 5432', 5432, 5433)).toEqual(ok('  port = 5433'));
    expect(rewritePort('  port     = "5432" # primary', 5432, 5433)).toEqual(ok('  port     = "5433" # primary'));
    expect(rewritePort('        - containerPort: 8080', 8080, 8081)).toEqual(ok('        - containerPort: 8081'));
    expect(rewritePort('    "Port": 5432,', 5432, 5433)).toEqual(ok('    "Port": 5433,'));
    expect(rewritePort('      - "8080:80"', 80, 81)).toEqual(ok('      - "8080:81"'));
    expect(rewritePort('      - "8080:80"', 8080, 9090)).toEqual(ok('      - "9090:80"'));
    expect(rewritePort('db_port = 5432\r', 5432, 6543)).toEqual(ok('db_port = 6543\r'));
  });

  it('edits exactly the recorded literal when the extractor gave one', () => {
    expect(rewritePort('  default = 5432', 5432, 5433, '5432')).toEqual(ok('  default = 5433'));
    expect(rewritePort('      Default: "5432"', 5432, 5433, '"5432"')).toEqual(ok('      Default: "5433"'));
    expect(rewritePort('  ports = { db = 5432, replica = 5432 }', 5432, 5433, '5432')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/more than once/),
    });
    expect(rewritePort('        { containerPort = 8090, hostPort = 8090 }', 8090, 8091, '8090')).toEqual({
      ok: false,
      reason:
        'the literal `8090` appears more than once on that line (`{ ' +
        'containerPort = 8090, hostPort = 8090 }`); which one is meant is ambiguous',
    });
    expect(rewritePort('  default = 5433', 5432, 5434, '5432')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no longer on that line/),
    });
  });

  it('refuses expressions, with the reason', () => {
    for (const line of [
      '  port = var.db_port',
      '  port = local.base + 1',
      '  port = "${var.port}"',
      '      Port: !Ref DbPort',
      '  port = max(5432, 1)',
      '      - "${PORT:-8080}:80"',
      '  port = aws_db_instance.main.port',
    ]) {
      const r = rewritePort(line, 5432, 5433);
      expect(r.ok, line).toBe(false);
    }
    expect(rewritePort('  port = var.base + 5432', 5432, 5433)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/expression/),
    });
    expect(rewritePort('x', 5432, 5433, '${var.a + 5432}')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/expression/),
    });
  });

  it('refuses lines where the port is not written or is ambiguous', () => {
    expect(rewritePort('resource "aws_elasticache_cluster" "c" {', 6379, 6380)).toMatchObject({ ok: false });
    expect(rewritePort('      - "80:80"', 80, 81)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/ambiguous/),
    });
    expect(rewritePort('kind: Deployment', 8080, 8081)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not written on that line/),
    });
    expect(rewritePort('      targetPort: http', 8080, 8081)).toEqual({
      ok: false,
      reason:
        '`http` is a port name, not a number: edit the port where that name is declared (the containerPort named http)',
    });
  });

  it('counts whole numbers only', () => {
    expect(portOccurrences('8080:80', 80)).toEqual([5]);
    expect(portOccurrences('15432', 5432)).toEqual([]);
  });
});
