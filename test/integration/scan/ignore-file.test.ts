// `.portdriftignore` in the IaC root of `portdrift scan`, on loopback with real listeners (a
// block on a random 127.x address this test owns; discovery restricted to it):
//   aws_db_instance.orders    declares b (closed), b+2 open → moved
//   aws_db_instance.legacy_1  declares b+30 (closed)        → missing
//   (nothing declares)        b+18 open                     → undeclared
// (Each open port more than 10 away from the other declarations, so none reads as a move.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/types.js';
import { run } from '../cli/run.js';
import { type Block, reserveBlock } from './loopback.js';

let block: Block;
let dir: string;
let b: number;
let scan: (...extra: string[]) => ReturnType<typeof run>;

beforeAll(async () => {
  block = await reserveBlock(41);
  b = block.base;
  for (let i = 0; i < 41; i++) if (i !== 2 && i !== 18) await block.release(i);
  dir = mkdtempSync(join(tmpdir(), 'pd-ignore-'));
  writeFileSync(
    join(dir, 'main.tf'),
    `resource "aws_db_instance" "orders" {\n  port = ${b}\n}\n\nresource ` +
      `"aws_db_instance" "legacy_1" {\n  port = ${b + 30}\n}\n`,
  );
  writeFileSync(
    join(dir, 'targets.yaml'),
    `targets:\n  - resource: aws_db_instance.orders\n    hosts: [${block.host}` +
      `]\n  - resource: aws_db_instance.legacy_1\n    hosts: [${block.host}]\n`,
  );
  scan = (...extra) =>
    run(['scan', '.', '--targets', 'targets.yaml', '--ports', `${b}-${b + 40}`, '--timeout', '500ms', ...extra], dir);
});
afterAll(async () => {
  await block?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const kinds = (out: string): string[] =>
  (JSON.parse(out) as DriftReport).findings.map((f) => `${f.kind} ${f.resource}`).sort();

describe('.portdriftignore', () => {
  it('without it: moved, missing and undeclared', async () => {
    rmSync(join(dir, '.portdriftignore'), { force: true });
    const r = await scan('--format', 'json');
    expect(r.err).not.toMatch(/PD_/);
    expect(kinds(r.out)).toEqual([
      'missing aws_db_instance.legacy_1',
      'moved aws_db_instance.orders',
      expect.stringMatching(/^undeclared /),
    ]);
    expect((JSON.parse(r.out) as DriftReport).summary.ignored).toBeUndefined();
  });

  it(
    'leaves out what its rules match, counts them as "ignored ' +
      'N" in every summary, and the exit code follows what is left',
    async () => {
      writeFileSync(
        join(dir, '.portdriftignore'),
        `# known drift\n\nundeclared  *  ${block.host}:${b + 18}  # debug ` +
          `listener, OPS-12\n*  aws_db_instance.legacy_*   # decommissioned in Q1\n`,
      );
      const json = await scan('--format', 'json');
      expect(json.code).toBe(2);
      expect(kinds(json.out)).toEqual(['moved aws_db_instance.orders']);
      expect((JSON.parse(json.out) as DriftReport).summary).toMatchObject({
        findings: 1,
        ignored: 2,
        byKind: { moved: 1 },
      });
      expect((await scan('--format', 'table')).out).toMatch(
        /^1 finding \(1 moved\); .*, ignored 2 \(\.portdriftignore\)\.$/m,
      );
      expect((await scan('--format', 'markdown')).out).toContain('ignored 2 (.portdriftignore)');
      expect((await scan('--format', 'jsonl')).out.trimEnd().split('\n').at(-1)).toMatch(/"ignored":2/);
      // Ignoring the moved port too: nothing left, exit 0, still saying what was ignored.
      writeFileSync(join(dir, '.portdriftignore'), `* * ${block.host} # the whole test host\n`);
      const none = await scan('--format', 'table');
      expect(none.code).toBe(0);
      expect(none.out).toMatch(/^No drift: .*, ignored 3 \(\.portdriftignore\)\.$/m);
    },
  );

  it('a broken file is an error naming each bad line, before anything is probed', async () => {
    writeFileSync(
      join(dir, '.portdriftignore'),
      `# ok\nunseen * # typo in the kind\nmoved aws_db_instance.orders\nmissing * ${block.host}:99999 # bad port\n`,
    );
    const r = await scan('--format', 'json');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/\.portdriftignore:2: unknown kind "unseen"/);
    expect(r.err).toMatch(/\.portdriftignore:3: a rule needs its reason/);
    expect(r.err).toMatch(/\.portdriftignore:4: port "99999"/);
    expect(r.err).toMatch(/\[PD_CONFIG_INVALID\]/);
    rmSync(join(dir, '.portdriftignore'));
  });
});
