// The report's HTML rendered by a real browser engine (headless Chromium) and screenshotted:
// the PNG must have the requested size and visibly hold content (not a blank page). With
// PORTDRIFT_UPDATE_DOCS=1 the screenshot is also written to docs/img/report.png.
// Chromium is the Debian package `chromium`; outside CI the test skips, saying so, when it is
// absent. In CI (CI=true) a missing Chromium fails the test.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReportModel } from '../../../collector/report/model.js';
import { renderReport } from '../../../collector/report/render.js';
import { reportData } from '../../fixtures/report-data.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const inCI = process.env.CI === 'true';
const skip = !CHROMIUM && !inCI;
if (skip) console.warn('chromium.test.ts: skipped — no Chromium at /usr/bin/chromium (Debian package `chromium`); CI installs it');

const dir = mkdtempSync(join(tmpdir(), 'pd-chromium-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Png {
  width: number;
  height: number;
  /** Distinct RGB colours in a sample of rows. */
  colours: number;
}

// Just enough PNG decoding (8-bit RGB/RGBA, no interlace, all five filters) to tell a rendered
// page from an empty one.
function readPng(buf: Buffer): Png {
  expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  let prev = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? line[x - channels]! : 0;
      const b = prev[x]!;
      const c = x >= channels ? prev[x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const add = [0, a, b, (a + b) >> 1, paeth][filter]!;
      line[x] = (line[x]! + add) & 0xff;
    }
    if (y % 7 === 0) for (let x = 0; x < width; x += 3) colours.add((line[x * channels]! << 16) | (line[x * channels + 1]! << 8) | line[x * channels + 2]!);
    prev = line;
  }
  return { width, height, colours: colours.size };
}

describe('report HTML in headless Chromium', () => {
  it.skipIf(skip)('renders and screenshots the report', () => {
    expect(CHROMIUM, 'CI must install Chromium (Debian package `chromium`)').toBeDefined();
    const html = join(dir, 'report.html');
    const png = join(dir, 'report.png');
    writeFileSync(html, renderReport(buildReportModel(reportData())).html);
    execFileSync(
      CHROMIUM!,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--no-first-run', '--force-device-scale-factor=1', '--window-size=1000,1500', `--screenshot=${png}`, `file://${html}`],
      { stdio: 'pipe', timeout: 60_000 },
    );
    const img = readPng(readFileSync(png));
    expect([img.width, img.height]).toEqual([1000, 1500]);
    // A blank or error page has a handful of colours; the report has text, badges and the chart.
    expect(img.colours).toBeGreaterThan(20);
    if (process.env.PORTDRIFT_UPDATE_DOCS === '1') {
      mkdirSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'img'), { recursive: true });
      copyFileSync(png, join(import.meta.dirname, '..', '..', '..', 'docs', 'img', 'report.png'));
    }
  });
});
