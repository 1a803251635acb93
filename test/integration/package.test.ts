// What `npm install portdrift` gets: `npm pack --dry-run --json` (scripts off, so the test does
// not rebuild dist/ under other tests) lists the package, which must hold what a user runs and
// reads (the built CLI with every module and worker it loads, deploy files, docs) and nothing
// else: no TypeScript sources, tests, benchmarks, source maps, the demo or the Docker build
// (both need the repository). Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
let files: Set<string>;
let unpacked: number;

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [pack] = JSON.parse(out) as Array<{ files: Array<{ path: string }>; unpackedSize: number }>;
  files = new Set(pack!.files.map((f) => f.path));
  unpacked = pack!.unpackedSize;
});

describe('npm pack', () => {
  it('holds the CLI, the deploy files and the docs', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    for (const f of [
      'package.json',
      'README.md',
      pkg.bin.portdrift!,
      'docs/ci.md',
      'docs/errors.md',
      'docs/monitoring.md',
    ])
      expect(files, f).toContain(f);
    for (const dir of [
      'deploy/systemd/',
      'deploy/kubernetes/',
      'deploy/examples/',
      'deploy/prometheus/',
      'deploy/grafana/',
    ]) {
      expect(
        [...files].some((f) => f.startsWith(dir)),
        dir,
      ).toBe(true);
    }
    expect(files).toContain('deploy/prometheus/portdrift.rules.yml');
    expect(files).toContain('deploy/grafana/portdrift.json');
  });

  it('holds nothing else: no sources, tests, maps, demo, Docker build, lockfile', () => {
    const unwanted = [...files].filter(
      (f) =>
        /\.(?:ts|map)$/.test(f) ||
        /^(?:test|bench|examples|cli|agent|collector|shared|node_modules|\.ci)\//.test(f) ||
        /^dist\/examples\//.test(f) ||
        /^deploy\/docker\//.test(f) ||
        // Screenshots of the report (docs/reports.md shows them in the repository, 300 KB).
        /^docs\/img\//.test(f) ||
        /^(?:package-lock\.json|tsconfig\.json|vitest\.config\.ts)$/.test(f),
    );
    expect(unwanted).toEqual([]);
    expect(unpacked).toBeLessThan(2_000_000);
  });

  it('every module and worker the packed code loads is packed too', () => {
    const missing: string[] = [];
    const js = [...files].filter((f) => f.startsWith('dist/') && f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(100);
    for (const f of js) {
      const text = readFileSync(join(root, f), 'utf8');
      // Static and dynamic imports, and workers started from `new URL('./x.js', import.meta.url)`.
      const refs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|new URL\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
        (m) => m[1]!,
      );
      for (const r of refs) {
        const target = normalize(join(dirname(f), r));
        if (!files.has(target)) missing.push(`${f} → ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every docs/ link of the README is in the package', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((l) => !files.has(l))).toEqual([]);
  });
});
