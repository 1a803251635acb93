// `npm start` = `node dist/examples/demo.js`: the demo finds its three planted drifts and exits
// 0; when a port it needs is taken it says which and exits 1. Needs `npm run build`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..', '..');
const demo = join(repo, 'dist', 'examples', 'demo.js');

function runDemo(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [demo], { cwd: repo, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the demo (npm start)', () => {
  beforeAll(() => {
    if (!existsSync(demo)) throw new Error(`${demo} is missing: run \`npm run build\` first`);
  });

  it('prints the three planted drifts with their IaC lines, stops its services and exits 0', async () => {
    const r = await runDemo();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^HIGH\s+moved\s+aws_db_instance\.orders\s+127\.0\.0\.11:25432 → 25433\s+infra\/rds\.tf:5\s/m,
    );
    expect(r.stdout).toContain(
      '→ infra/variables.tf:4 variable "orders_db_port" default 25432 → 25433, or move the service back to 25432',
    );
    expect(r.stdout).toMatch(
      /^HIGH\s+missing\s+aws_ecs_task_definition\.api\s+127\.0\.0\.13:29090\s+infra\/api\.tf:24\s/m,
    );
    expect(r.stdout).toMatch(/^MEDIUM\s+undeclared\s+.*127\.0\.0\.13:28085\s/m);
    expect(r.stdout).toContain(
      '3 findings (1 moved, 1 missing, 1 undeclared); 6 resources, 7 endpoints checked, 7 observed.',
    );
    expect(r.stdout).toContain('That is the demo succeeding');
    // The services are stopped: the moved database port is free again.
    const s = await listen('127.0.0.11', 25433);
    expect(s).not.toBeNull();
    await new Promise<void>((res) => s!.close(() => res()));
  });

  it('names a taken port and exits 1 without scanning', async () => {
    const taken = await listen('127.0.0.13', 29095);
    expect(taken, 'the test needs 127.0.0.13:29095 free').not.toBeNull();
    try {
      const r = await runDemo();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('portdrift demo: port 127.0.0.13:29095 is taken by another program');
      expect(r.stdout).not.toContain('SEVERITY');
    } finally {
      await new Promise<void>((res) => taken!.close(() => res()));
    }
  });
});

function listen(host: string, port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.on('error', () => undefined).destroy());
    s.once('error', () => resolve(null));
    s.listen({ host, port, exclusive: true }, () => resolve(s));
  });
}
