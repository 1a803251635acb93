// `portdrift report --out` from saved findings (no collector), and its usage errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missing, moved, report, undeclared } from '../../fixtures/findings.js';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-report-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'drift.json'), JSON.stringify(report([moved, missing, undeclared])));

describe('portdrift report', () => {
  it('renders saved findings to HTML, text and JSON by the extension of --out, as a snapshot', async () => {
    const html = await run(['report', '--from', 'drift.json', '--out', 'r.html', '--scope', 'staging'], dir);
    expect(html).toMatchObject({ code: 0, out: '', err: 'wrote r.html: portdrift: 3 open — staging (snapshot)\n' });
    const page = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('<strong>Snapshot.</strong>');
    expect(page).toContain('30 / 31');
    expect(page).not.toContain('Baseline');

    const text = await run(['report', '--from', 'drift.json', '--out', '-'], dir);
    expect(text.out).toMatch(/^<!DOCTYPE html>/);
    await run(['report', '--from', 'drift.json', '--out', 'r.txt'], dir);
    expect(readFileSync(join(dir, 'r.txt'), 'utf8')).toContain(
      'Coverage:    30 of 31 declared endpoints observed (96.7%)',
    );
    await run(['report', '--from', 'drift.json', '--out', 'r.json'], dir);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'))).toMatchObject({
      version: 1,
      snapshot: true,
      baseline: false,
      counts: { open: 3 },
    });
  });

  it('says what is missing', async () => {
    expect((await run(['report'], dir)).err).toMatch(/needs --out FILE \(render\) or --send \(send now\) \[PD_USAGE\]/);
    // Like every query command: the default collector, and a token before anything is sent.
    expect((await run(['report', '--out', 'x.html'], dir)).err).toBe(
      'portdrift: GET /v1/report/preview: give --token-file, --token or set ' +
        'PORTDRIFT_TOKEN (create one with `portdrift token create`) [PD_USAGE]\n',
    );
    expect((await run(['report', '--out', 'x.html', '--token', 'a', '--token-file', 'b'], dir)).err).toBe(
      'portdrift: give --token or --token-file, not both [PD_USAGE]\n',
    );
    expect((await run(['report', '--out', 'x.html', '--token-file', 'nope.txt'], dir)).err).toBe(
      'portdrift: --token-file nope.txt: cannot read it: ENOENT [PD_USAGE]\n',
    );
    expect((await run(['report', '--send', '--from', 'drift.json'], dir)).err).toMatch(/cannot send saved findings/);
  });

  it('reports an unreachable collector as PD_COLLECTOR_UNREACHABLE', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const r = await run(['report', '--send', '--collector', `http://127.0.0.1:${port}`, '--token', 'x'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot reach the collector at http:\/\/127.0.0.1:\d+.*\[PD_COLLECTOR_UNREACHABLE\]/);
  });
});
