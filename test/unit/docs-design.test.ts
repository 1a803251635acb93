// The design lives in the repository (docs/design/). Comments and docs must not cite design notes
// a newcomer cannot open, and every link into docs/design that a comment cites (file and #anchor)
// must lead to a heading that exists, so a renamed heading breaks this test, not the reader's trail.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const SOURCE_DIRS = ['agent', 'collector', 'shared', 'cli', 'bench', 'test', 'examples', 'deploy'];
const SOURCE_EXT = /\.(?:ts|mts|cts|js|mjs|cjs|py|sh)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'results']);

function walk(dir: string, keep: (name: string) => boolean): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name);
    const rel = relative(root, path).split(sep).join('/');
    if (statSync(path).isDirectory()) return SKIP_DIRS.has(name) ? [] : walk(rel, keep);
    return keep(name) ? [rel] : [];
  });
}

const sources = SOURCE_DIRS.flatMap((d) => walk(d, (n) => SOURCE_EXT.test(n)));
const productDocs = [...walk('docs', (n) => n.endsWith('.md')), 'README.md', 'CONTRIBUTING.md'].filter((f) =>
  existsSync(join(root, f)),
);

// Built from parts so that this file does not match itself.
const md = (name: string) => `${name}\\.md`;
const OUTSIDE = [
  new RegExp(`\\b${md('DESIGN')}`),
  new RegExp(`\\b${md('probing')}`),
  new RegExp(`\\b${md('operations')}`),
  new RegExp(`${md('iac')}\\s*\\u00a7`),
  new RegExp(`reference/(?:${md('iac')}|${md('probing')}|${md('operations')})`),
];
// In source files the product's own user doc is cited as docs/iac.md; a bare name is another one.
const BARE_IAC = new RegExp(`(?<![\\w/.-])${md('iac')}`);
// A section sign must name its document, as in `RFC 4253` or `SARIF` followed by one and a number:
// a bare section number in parentheses cites something the reader cannot tell.
const SECTION = /\u00a7/g;
const NAMED_SECTION = /(?:RFC \d+|SARIF)\s*$/;

function offending(text: string, source = true): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (OUTSIDE.some((re) => re.test(line)) || (source && BARE_IAC.test(line))) out.push(`${i + 1}: ${line.trim()}`);
    else
      for (const m of line.matchAll(SECTION))
        if (!NAMED_SECTION.test(line.slice(0, m.index))) {
          out.push(`${i + 1}: ${line.trim()}`);
          break;
        }
  });
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorCache = new Map<string, Set<string>>();
function anchors(file: string): Set<string> {
  let set = anchorCache.get(file);
  if (!set) {
    const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    set = new Set([...text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => slug(m[1]!)));
    anchorCache.set(file, set);
  }
  return set;
}

/** Why `target` (a path relative to `from`, optionally with #anchor; `#anchor` alone is in `from`) is broken, or null.
 * */
function brokenLink(from: string, target: string): string | null {
  const [path, anchor] = target.split('#') as [string, string | undefined];
  const file = path === '' ? from : resolve(dirname(from), path);
  if (!existsSync(file)) return 'no such file';
  if (anchor !== undefined && file.endsWith('.md') && !anchors(file).has(anchor)) return `no heading #${anchor}`;
  return null;
}

describe('design documents live in the repository', () => {
  it('the slug of a heading is GitHub’s', () => {
    expect(slug('How the engine works, and why')).toBe('how-the-engine-works-and-why');
    expect(slug('Listeners (`--listeners`)')).toBe('listeners---listeners');
    expect(slug('Agent ⇄ collector')).toBe('agent--collector');
  });

  it('no source file cites design notes outside the repository', () => {
    expect(sources.length).toBeGreaterThan(100);
    const bad = sources.flatMap((f) => offending(readFileSync(join(root, f), 'utf8')).map((l) => `${f}:${l}`));
    expect(bad).toEqual([]);
  });

  it('no product doc cites design notes outside the repository', () => {
    const bad = productDocs.flatMap((f) =>
      offending(readFileSync(join(root, f), 'utf8'), false).map((l) => `${f}:${l}`),
    );
    expect(bad).toEqual([]);
  });

  it('the checks catch what they are for', () => {
    const cite = (name: string, rest: string) => `// x (${name}.md ${rest})`;
    expect(offending(cite('probing', '\u00a76.4'))).toHaveLength(1);
    expect(offending(cite('DESIGN', '"Exit codes"'))).toHaveLength(1);
    expect(offending(cite('operations', '\u00a76'))).toHaveLength(1);
    expect(offending(cite('iac', '\u00a74.1'))).toHaveLength(1);
    expect(offending('// engine default ports (\u00a75.2)')).toHaveLength(1);
    expect(offending('// see docs/iac.md, and RFC 4253 \u00a74.2, SARIF \u00a73.10')).toEqual([]);
    expect(offending(`see ${'iac'}.md, Kubernetes`, false)).toEqual([]);
    expect(offending(`see ${'iac'}.md, Kubernetes`)).toHaveLength(1);
  });

  it('every docs/design link in a source file leads to an existing heading', () => {
    const re = /docs\/design\/([\w.-]+\.md)(?:#([\w-]+))?/g;
    const cited = sources.flatMap((f) =>
      [...readFileSync(join(root, f), 'utf8').matchAll(re)].map((m) => ({
        f,
        target: `${m[1]}${m[2] ? `#${m[2]}` : ''}`,
      })),
    );
    expect(cited.length).toBeGreaterThan(50);
    const bad = cited.flatMap(({ f, target }) => {
      const why = brokenLink(join(root, 'docs', 'design', 'README.md'), target);
      return why ? [`${f}: docs/design/${target}: ${why}`] : [];
    });
    expect(bad).toEqual([]);
  });

  it('every relative link in docs/design and CONTRIBUTING.md leads somewhere that exists', () => {
    const files = [...walk('docs/design', (n) => n.endsWith('.md')), 'CONTRIBUTING.md'];
    expect(files.length).toBeGreaterThan(5);
    const bad = files.flatMap((f) => {
      const text = readFileSync(join(root, f), 'utf8')
        .replace(/^```[\s\S]*?^```/gm, '')
        .replace(/`[^`\n]*`/g, '');
      return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1]!)
        .filter((t) => !/^[a-z]+:/.test(t))
        .flatMap((t) => {
          const why = brokenLink(join(root, f), t);
          return why ? [`${f}: ${t}: ${why}`] : [];
        });
    });
    expect(bad).toEqual([]);
  });
});
