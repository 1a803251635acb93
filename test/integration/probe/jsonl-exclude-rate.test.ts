// `--format jsonl`, `--exclude`, `--exclude-ports` and `--rate` of `probe` and `scan`, through
// the built binary on loopback only (127.0.0.1 and random 127.x addresses; a listener this test
// owns in the excluded range shows the exclusion is real, not an empty range).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Block, reserveBlock } from '../scan/loopback.js';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'cli', 'main.js');

function portdrift(args: string[], cwd = root): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, timeout: 60_000, maxBuffer: 64 << 20 }, (err, out, e) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: e }),
    );
  });
}

/** Every line one JSON object; the last one the summary. */
function jsonl(out: string): { rows: Array<Record<string, unknown>>; summary: Record<string, unknown> } {
  expect(out.endsWith('\n')).toBe(true);
  const rows = out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const r of rows) expect(typeof r === 'object' && r !== null && !Array.isArray(r)).toBe(true);
  const summary = rows.pop()!;
  expect(summary.type).toBe('summary');
  expect(rows.every((r) => r.type !== 'summary')).toBe(true);
  return { rows, summary };
}

/** A listener on 127.0.0.1 at a free port of lo..hi, or null (taken everywhere, or no right to bind low ports). */
async function listenIn(lo: number, hi: number): Promise<{ server: Server; port: number } | null> {
  for (let i = 0; i < 20; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo + 1));
    const server = await new Promise<Server | null>((resolve) => {
      const s = createServer((c) => c.on('error', () => undefined).destroy());
      s.once('error', () => resolve(null));
      s.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(s));
    });
    if (server) return { server, port };
  }
  return null;
}

let excludedListener: { server: Server; port: number } | null;
let block: Block;
let dir: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  excludedListener = await listenIn(1000, 1999);
  block = await reserveBlock(21);
  dir = mkdtempSync(join(tmpdir(), 'pd-jsonl-'));
});
afterAll(async () => {
  await new Promise<void>((r) => (excludedListener ? excludedListener.server.close(() => r()) : r()));
  await block?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('probe', () => {
  it('--format jsonl with --exclude-ports: one JSON object a line, no port of the excluded range', async () => {
    const r = await portdrift([
      'probe',
      '127.0.0.1',
      '--ports',
      '1-2000',
      '--exclude-ports',
      '1000-1999',
      '--format',
      'jsonl',
    ]);
    expect(r.code).toBe(0);
    const { rows, summary } = jsonl(r.out);
    expect(rows.every((x) => x.type === 'result' && x.host === '127.0.0.1' && typeof x.port === 'number')).toBe(true);
    expect(rows.filter((x) => (x.port as number) >= 1000 && (x.port as number) <= 1999)).toEqual([]);
    expect(summary).toMatchObject({ probes: 1000, excluded: 0 });
    // With closed results too: exactly the ports outside the range.
    const all = jsonl(
      (
        await portdrift([
          'probe',
          '127.0.0.1',
          '--ports',
          '1-2000',
          '--exclude-ports',
          '1000-1999',
          '--format',
          'jsonl',
          '--all',
        ])
      ).out,
    );
    const ports = all.rows.map((x) => x.port as number).sort((a, b) => a - b);
    expect(ports).toEqual([...Array.from({ length: 999 }, (_, i) => i + 1), 2000]);
  });

  it('an open port in the excluded range is not reported; without the exclusion it is', async (t) => {
    // Ports below 1024 need root; 1024-1999 may all be taken: then there is nothing to show.
    if (!excludedListener) return t.skip('no free port in 1000-1999 to listen on');
    const port = excludedListener.port;
    const without = jsonl((await portdrift(['probe', '127.0.0.1', '--ports', String(port), '--format', 'jsonl'])).out);
    expect(without.rows).toEqual([expect.objectContaining({ port, state: 'open' })]);
    const excluded = jsonl(
      (
        await portdrift([
          'probe',
          '127.0.0.1',
          '--ports',
          `${port - 1}-${port + 1}`,
          '--exclude-ports',
          String(port),
          '--format',
          'jsonl',
          '--all',
        ])
      ).out,
    );
    // jsonl lines come as results are known, not in port order.
    expect(excluded.rows.map((x) => x.port as number).sort((a, b) => a - b)).toEqual([port - 1, port + 1]);
  });

  it('--exclude by address, network or name: left out silently (exit 0), counted in the summary', async () => {
    const r = await portdrift([
      'probe',
      '127.0.0.1',
      block.host,
      '--ports',
      String(block.base),
      '--exclude',
      `${block.host}/32`,
      '--format',
      'jsonl',
      '--all',
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const { rows, summary } = jsonl(r.out);
    expect(rows.map((x) => x.ip)).toEqual(['127.0.0.1']);
    expect(summary.excluded).toBe(1);
    const byName = jsonl(
      (
        await portdrift([
          'probe',
          'localhost',
          '127.0.0.1',
          '--ports',
          '1',
          '--exclude',
          'LOCALHOST,127.0.0.0/8',
          '--format',
          'jsonl',
          '--all',
        ])
      ).out,
    );
    expect(byName.rows).toEqual([]);
    expect(byName.summary.excluded).toBeGreaterThanOrEqual(2);
  });

  it('--rate caps connects per second over all hosts', async () => {
    // 60 probes at 100/s cannot finish in under ~0.6 s; unpaced, loopback answers them in milliseconds.
    const r = await portdrift([
      'probe',
      '127.0.0.1',
      block.host,
      '--ports',
      '1-30',
      '--rate',
      '100',
      '--format',
      'jsonl',
    ]);
    expect(r.code).toBe(0);
    const { summary } = jsonl(r.out);
    expect(summary.probes).toBe(60);
    expect(summary.seconds as number).toBeGreaterThanOrEqual(0.55);
  });

  it('bad values: every problem named at once, exit 1, nothing on stdout', async () => {
    const r = await portdrift([
      'probe',
      '127.0.0.1',
      '--rate',
      '0',
      '--exclude',
      '10.0.0.1/8',
      '--exclude-ports',
      '70000',
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/--rate "0"/);
    expect(r.err).toMatch(/--exclude: .*host bits are set/);
    expect(r.err).toMatch(/--exclude-ports: .*70000/);
    const none = await portdrift(['probe', '127.0.0.1', '--ports', '5-6', '--exclude-ports', '1-10']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/leaves no port/);
  });
});

describe('scan', () => {
  it(
    '--format jsonl: a finding a line, the summary last; ' +
      '--exclude-ports and --exclude report what they left out as unobserved',
    async () => {
      const b = block.base;
      // b+5 is declared and listens; b+6 is declared and listens too but excluded by port; a
      // second host is excluded whole.
      writeFileSync(
        join(dir, 'main.tf'),
        `resource "aws_db_instance" "a" {\n  port = ${b + 5}\n}\nresource "aws_db_instance" ` +
          `"b" {\n  port = ${b + 6}\n}\nresource "aws_db_instance" "c" {\n  port = ${b + 7}\n}\n`,
      );
      writeFileSync(
        join(dir, 'targets.yaml'),
        `targets:\n  - resource: aws_db_instance.a\n    hosts: [${block.host}]\n  - resource: ` +
          `aws_db_instance.b\n    hosts: [${block.host}]\n  - resource: aws_db_instance.c\n    hosts: [127.0.0.1]\n`,
      );
      const args = ['scan', '.', '--targets', 'targets.yaml', '--ports', `${b}-${b + 20}`, '--format', 'jsonl'];
      const clean = jsonl((await portdrift([...args, '--exclude', '127.0.0.1'], dir)).out);
      const plain = await portdrift([...args, '--exclude-ports', String(b + 6), '--exclude', '127.0.0.1'], dir);
      expect(plain.code).toBe(2);
      const { rows, summary } = jsonl(plain.out);
      expect(rows.every((x) => x.type === 'finding')).toBe(true);
      const unobserved = rows.filter((x) => x.kind === 'unobserved');
      expect(unobserved.map((x) => x.resource).sort()).toEqual(['aws_db_instance.b', 'aws_db_instance.c']);
      expect(unobserved.find((x) => x.resource === 'aws_db_instance.c')!.message).toMatch(/excluded \(--exclude\)/);
      expect(summary).toMatchObject({ version: 1, findings: rows.length });
      // Without --exclude-ports, b+6 listens as declared: no finding for b.
      expect(clean.rows.some((x) => x.resource === 'aws_db_instance.b')).toBe(false);
    },
  );
});
