// `portdrift probe --format jsonl` writes each result's line as soon as it is known, not all at
// the end: in a lab namespace, five listeners among ports whose SYNs are DROPped, the sweep
// slowed by --rate; the child's stdout is read while it runs. The open lines arrive long before
// the child exits, the filtered ones (final only when out of tries) at the end, the summary last.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoloLab, type Lab } from '../../lab/netns.mjs';
import { labSkipReason } from '../../lab/skip.js';
import { cliPath, requireBuild, root } from './cli.js';

const skip = labSkipReason();
const OPEN = [2003, 2017, 2031, 2045, 2059];

describe.skipIf(skip)(`probe --format jsonl streams${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  beforeAll(async () => {
    requireBuild();
    lab = await createSoloLab();
    await lab.listen(OPEN.map((port) => ({ ip: '127.0.0.1', port })));
    lab.drop(2100, 2139);
  }, 60_000);
  afterAll(async () => {
    await lab?.destroy();
  });

  it('each open result is on stdout while the sweep still runs; filtered at the end; summary last', async () => {
    const args = ['probe', '127.0.0.1', '--ports', '2001-2060,2100-2139', '--rate', '25', '--format', 'jsonl'];
    const child = spawn('ip', ['netns', 'exec', lab.client.name, process.execPath, cliPath, ...args], { cwd: root });
    const started = Date.now();
    const lines: { at: number; doc: Record<string, unknown> }[] = [];
    let buf = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        lines.push({ at: Date.now() - started, doc: JSON.parse(buf.slice(0, nl)) as Record<string, unknown> });
        buf = buf.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((r) => child.once('close', r));
    clearTimeout(timer);
    const exitAt = Date.now() - started;
    expect(code, err).toBe(0);
    expect(buf).toBe('');

    const open = lines.filter((l) => l.doc.state === 'open');
    const filtered = lines.filter((l) => l.doc.state === 'filtered');
    expect(open.map((l) => l.doc.port).sort()).toEqual(OPEN);
    expect(filtered).toHaveLength(40);
    expect(lines.at(-1)!.doc).toMatchObject({ type: 'summary', probes: 100, open: 5, filtered: 40, excluded: 0 });
    expect(lines.slice(0, -1).every((l) => l.doc.type === 'result')).toBe(true);
    // 100 connects at 25 a second take about 4 s: the first open line came well before the end.
    expect(exitAt).toBeGreaterThan(3000);
    expect(open[0]!.at).toBeLessThan(exitAt - 1000);
    // Filtered is final only when the probe is out of tries: those lines come after every open one.
    expect(Math.min(...filtered.map((l) => l.at))).toBeGreaterThanOrEqual(Math.max(...open.map((l) => l.at)));
  }, 90_000);
});
