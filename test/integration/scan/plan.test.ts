// `portdrift scan --plan` on loopback: the plan is the Terraform source (a count of two database
// instances whose ports only the plan knows), hosts come from its prior_state, and an egress
// rule on the same host is never a port the host must listen on: the listener on the egress
// port is `undeclared`, not in sync.
//
// Layout (offsets from b): instance[0] declares b, instance[1] declares b+1 (both open: in
// sync), the egress rule allows b+25 (open, out of the ±10 of a move: undeclared).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { run } from '../cli/run.js';
import { type Block, reserveBlock } from './loopback.js';

let block: Block;
let dir: string;
let b: number;
const DB = 'module.db';
const INSTANCE = 'aws_db_instance.this';

const db = (i: number, port: number) => ({
  address: `module.db[${i}].aws_db_instance.this`,
  mode: 'managed',
  type: 'aws_db_instance',
  name: 'this',
  values: { engine: 'postgres', port },
});

beforeAll(async () => {
  block = await reserveBlock(41);
  b = block.base + 10;
  for (let i = 0; i < 41; i++) if (![10, 11, 35].includes(i)) await block.release(i);
  const host = block.host;
  dir = mkdtempSync(join(tmpdir(), 'pd-scan-plan-'));
  writeFileSync(
    join(dir, 'main.tf'),
    [
      'variable "n" {}',
      'module "db" {',
      '  source = "./db"',
      '  count  = var.n',
      '}',
      '',
      'resource "aws_security_group_rule" "out" {',
      '  type      = "egress"',
      '  from_port = var.p',
      '  to_port   = var.p',
      '  protocol  = "tcp"',
      '}',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'db'));
  const module = 'resource "aws_db_instance" "this" {\n  engine = "postgres"\n  port   = 5432\n}\n';
  writeFileSync(join(dir, 'db', 'main.tf'), module);
  // instance[0]'s host is in the plan's prior_state; instance[1] is new, its host given here.
  const rule = (resource: string): string => `  - resource: ${JSON.stringify(resource)}\n    hosts: [${host}]\n`;
  writeFileSync(join(dir, 'targets.yaml'), `targets:\n${rule('aws_security_group_rule.out')}${rule('module.db[1].*')}`);
  const sg = {
    address: 'aws_security_group_rule.out',
    mode: 'managed',
    type: 'aws_security_group_rule',
    name: 'out',
    values: { type: 'egress', from_port: b + 25, to_port: b + 25, protocol: 'tcp' },
  };
  const prior = { ...db(0, b), values: { port: b, address: host } };
  const instances = [0, 1].map((i) => ({ address: `module.db[${i}]`, resources: [db(i, b + i)] }));
  const plan = {
    format_version: '1.2',
    planned_values: { root_module: { resources: [sg], child_modules: instances } },
    prior_state: {
      format_version: '1.0',
      values: { root_module: { child_modules: [{ address: `${DB}[0]`, resources: [prior] }] } },
    },
    configuration: { root_module: { module_calls: { db: { source: './db', module: {} } } } },
  };
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
});

afterAll(async () => {
  await block?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('portdrift scan --plan', () => {
  it('checks the planned ports of every instance; an egress rule is not probed as a listen port', async () => {
    const ports = `${b - 10}-${b + 30}`;
    const flags = ['--targets', 'targets.yaml', '--ports', ports, '--timeout', '500ms', '--format', 'json'];
    const r = await run(['scan', '.', '--plan', 'plan.json', ...flags], dir);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as DriftReport;
    expect(doc.findings.map((f) => [f.kind, f.resource, f.port])).toEqual([
      ['undeclared', `aws_security_group_rule.out, ${DB}[0].${INSTANCE}, ${DB}[1].${INSTANCE}`, b + 25],
    ]);
    // The two planned instances are what is checked, each at its configuration's line.
    expect(doc.summary.endpoints).toBe(2);
    const m = await run(['extract', '.', '--plan', 'plan.json', '--format', 'json'], dir);
    type Output = { endpoints: { resource: string; port: number; source: { file: string; line: number } }[] };
    const eps = (JSON.parse(m.out) as Output).endpoints;
    expect(eps.map((e) => `${e.resource} ${e.port} ${e.source.file}:${e.source.line}`)).toEqual([
      `aws_security_group_rule.out ${b + 25} main.tf:9`,
      `module.db[0].aws_db_instance.this ${b} db/main.tf:3`,
      `module.db[1].aws_db_instance.this ${b + 1} db/main.tf:3`,
    ]);
  });
});
