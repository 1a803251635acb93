// A reload whose only new problem is a warning (a repeated YAML key: the file was extracted in
// full with the last value) is taken, not refused as if a file had stopped parsing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { get, post, startTestCollector, writeIac, type TestCollector } from './harness.js';

let c: TestCollector | undefined;
let dir: string | undefined;
afterEach(async () => {
  await c?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const compose = (ports: string): string => `services:\n  web:\n    expose: [${ports}]\n`;

it('a repeated YAML key on reload is a warning: the reload is taken with the last value', async () => {
  dir = mkdtempSync(join(tmpdir(), 'pd-collector-warn-'));
  writeIac(dir);
  writeFileSync(join(dir, 'compose.yaml'), compose('"8080"'));
  c = await startTestCollector({ iac: [join(dir, 'main.tf'), join(dir, 'compose.yaml')] }, dir);
  writeFileSync(join(dir, 'compose.yaml'), `${compose('"8080"')}  web:\n    expose: ["8081"]\n`);
  const r = await post(c.url, '/v1/reload', c.tokens.admin, '');
  expect(r.status).toBe(200);
  const body = (await r.json()) as { problems: { code: string; severity?: string; line: number }[] };
  const warning = { code: 'PD_IAC_DUPLICATE_KEY', severity: 'warning', line: 4 };
  expect(body.problems).toEqual([expect.objectContaining(warning)]);
  type Plan = { targets: { host: string; declared: number[] }[] };
  const plan = (await (await get(c.url, '/v1/plan', c.tokens.agent)).json()) as Plan;
  expect(plan.targets.find((t) => t.host === 'web')?.declared).toEqual([8081]);
});
