// Keeps the rules of docs/design/architecture.md#imports (and #library-homes, #entrypoints) true.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  const abs = join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return tsFiles(relative(root, path));
    return name.endsWith('.ts') ? [relative(root, path).split(sep).join('/')] : [];
  });
}

const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(importRe)].map((m) => (m[1] ?? m[2])!);
}

function resolvesInto(file: string, spec: string, dir: string): boolean {
  if (!spec.startsWith('.')) return false;
  const target = join(file, '..', spec).split(sep).join('/');
  return target === dir || target.startsWith(`${dir}/`);
}

const product = ['cli', 'agent', 'collector', 'shared'].flatMap(tsFiles);

describe('architecture', () => {
  it('shared/ imports nothing from agent/, collector/ or cli/', () => {
    const bad = tsFiles('shared').flatMap((f) =>
      imports(f)
        .filter((s) => ['agent', 'collector', 'cli'].some((d) => resolvesInto(f, s, d)))
        .map((s) => `${f} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('agent/ and collector/ never import each other, nor cli/', () => {
    const bad = [
      ...tsFiles('agent').flatMap((f) =>
        imports(f)
          .filter((s) => resolvesInto(f, s, 'collector') || resolvesInto(f, s, 'cli'))
          .map((s) => `${f} → ${s}`),
      ),
      ...tsFiles('collector').flatMap((f) =>
        imports(f)
          .filter((s) => resolvesInto(f, s, 'agent') || resolvesInto(f, s, 'cli'))
          .map((s) => `${f} → ${s}`),
      ),
    ];
    expect(bad).toEqual([]);
  });

  it('shared/types.ts and shared/types/ import nothing outside shared/types/', () => {
    const files = ['shared/types.ts', ...tsFiles('shared/types')];
    expect(files.length).toBeGreaterThan(1);
    const bad = files.flatMap((f) =>
      imports(f)
        .filter((s) => !resolvesInto(f, s, 'shared/types'))
        .map((s) => `${f} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  // HCL parsing (files through hcl2json, line locations, the expression parser) is one folder that
  // depends on nothing of the extractor around it, so it can be tested and replaced on its own.
  it('shared/iac/terraform/hcl/ imports only its own files, node: and @cdktf/hcl2json', () => {
    const files = tsFiles('shared/iac/terraform/hcl');
    expect(files.length).toBeGreaterThan(5);
    const own = (f: string, s: string) => s.startsWith('./') && resolvesInto(f, s, 'shared/iac/terraform/hcl');
    const bad = files.flatMap((f) =>
      imports(f)
        .filter((s) => !own(f, s) && !s.startsWith('node:') && s !== '@cdktf/hcl2json')
        .map((s) => `${f} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  // Each third-party library has one home file (or folder), so it can be swapped in one place.
  const homes: Record<string, (file: string) => boolean> = {
    pino: (f) => f === 'shared/log.ts',
    '@cdktf/hcl2json': (f) => f === 'shared/iac/terraform/hcl/hcl2json.ts',
    'better-sqlite3': (f) => f === 'collector/store/sqlite-driver.ts',
    pg: (f) => f.startsWith('collector/store/postgres/'),
    'pg-connection-string': (f) => f.startsWith('collector/store/postgres/'),
    nodemailer: (f) => f === 'collector/report/mail.ts',
    undici: (f) => f.startsWith('agent/daemon/'),
    '@aws-sdk': (f) => f.startsWith('shared/live/aws/'),
    '@smithy': (f) => f.startsWith('shared/live/aws/'),
    zod: (f) => f.startsWith('shared/validate/'),
    'prom-client': (f) => f === 'collector/http/metrics-registry.ts',
    picomatch: (f) => f === 'shared/glob.ts',
    cockatiel: (f) => f === 'shared/retry.ts',
  };
  for (const [lib, isHome] of Object.entries(homes)) {
    it(`${lib} is imported only from its home`, () => {
      const bad = product.filter((f) => !isHome(f) && imports(f).some((s) => s === lib || s.startsWith(`${lib}/`)));
      expect(bad).toEqual([]);
    });
  }

  it('only entrypoints touch process argv, env, exit and signals', () => {
    const entrypoints = new Set(['cli/main.ts', 'shared/live/aws/read-child.ts']);
    const re = /\bprocess\.(argv|env|exit|on|once|kill)\b/;
    const bad = product.filter((f) => !entrypoints.has(f) && re.test(readFileSync(join(root, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});
