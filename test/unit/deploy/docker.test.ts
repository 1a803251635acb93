// The Dockerfile cannot be built here (no Docker engine), so check what can be checked without
// one: every path it copies from the build context exists and is let through the ignore file,
// the runtime stage runs as a numeric non-root user (what runAsNonRoot can verify), and the
// entrypoint is the CLI that the build produces.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const dockerfile = readFileSync(join(root, 'deploy', 'docker', 'Dockerfile'), 'utf8');
const ignore = readFileSync(join(root, 'deploy', 'docker', 'Dockerfile.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

// Join continuation lines, drop comments.
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op!.toUpperCase(), args: rest };
  });

const stages = instructions.reduce<{ op: string; args: string[] }[][]>((acc, ins) => {
  if (ins.op === 'FROM') acc.push([]);
  acc.at(-1)?.push(ins);
  return acc;
}, []);

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]![0]!.args).toContain('build');
  });

  it('copies only paths that exist and that the ignore file lets through', () => {
    const copies = stages[0]!
      .filter((i) => i.op === 'COPY')
      .flatMap((i) => i.args.slice(0, -1).filter((a) => !a.startsWith('--')));
    expect(copies.length).toBeGreaterThan(3);
    for (const src of copies) {
      expect(existsSync(join(root, src)), src).toBe(true);
      expect(
        ignore.some((rule) => rule === `!${src}` || rule === `!${src}/**`),
        `${src} is not re-included by Dockerfile.dockerignore`,
      ).toBe(true);
    }
    expect(ignore[0]).toBe('**');
  });

  it('pins both base images by digest, Node 24 in both', () => {
    const froms = stages.map((st) => st[0]!.args[0]!);
    expect(froms[0]).toMatch(/^node:24\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(froms[1]).toMatch(/^gcr\.io\/distroless\/nodejs24-debian12:nonroot@sha256:[0-9a-f]{64}$/);
  });

  it('runs as a numeric non-root user, with the CLI as entrypoint', () => {
    const runtime = stages[1]!;
    const user = runtime.filter((i) => i.op === 'USER').at(-1)!.args[0]!;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    const entry = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args.join(' ')) as string[];
    expect(entry.at(-1)).toBe('/app/dist/cli/main.js');
    // The runtime copies the compiled CLI from the build stage, where `npm ci` built it.
    expect(
      runtime.some((i) => i.op === 'COPY' && i.args.includes('--from=build') && i.args.includes('/app/dist')),
    ).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepare).toContain('build');
    expect(pkg.bin.portdrift).toBe('dist/cli/main.js');
  });
});
