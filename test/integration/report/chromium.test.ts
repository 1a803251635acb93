// The report's HTML rendered by a real browser engine (headless Chromium) at a phone's width
// (400 px) and a wide mail client's (1200 px): measured from inside the page (no horizontal
// overflow; the card as wide as the window up to 960 px, centred) and screenshotted (the card's
// margins seen in the pixels: equal on both sides, so nothing is cut at the right). With
// PORTDRIFT_UPDATE_DOCS=1 the screenshots are also written to docs/img/report-400.png and
// docs/img/report-1200.png.
// Chromium is the Debian package `chromium`; outside CI the test skips, saying so, when it is
// absent. In CI (CI=true) a missing Chromium fails the test.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReportModel } from '../../../collector/report/model.js';
import { renderReport } from '../../../collector/report/render.js';
import { reportData } from '../../fixtures/report-data.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) =>
  existsSync(p),
);
const inCI = process.env.CI === 'true';
const skip = !CHROMIUM && !inCI;
if (skip)
  console.warn(
    'chromium.test.ts: skipped — no Chromium at /usr/bin/chromium (Debian package `chromium`); CI installs it',
  );

const dir = mkdtempSync(join(tmpdir(), 'pd-chromium-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Png {
  width: number;
  height: number;
  /** RGB bytes, row by row. */
  rows: Buffer[];
  /** Distinct RGB colours in a sample of rows. */
  colours: number;
}

// Just enough PNG decoding (8-bit RGB/RGBA, no interlace, all five filters) to read the pixels.
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
  const rows: Buffer[] = [];
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
    const rgb = Buffer.alloc(width * 3);
    for (let x = 0; x < width; x++) line.copy(rgb, x * 3, x * channels, x * channels + 3);
    rows.push(rgb);
    if (y % 7 === 0) for (let x = 0; x < width; x += 3) colours.add(rgb.readUIntBE(x * 3, 3));
    prev = line;
  }
  return { width, height, rows, colours: colours.size };
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer): number =>
  (b.reduce((c, x) => CRC[(c ^ x) & 0xff]! ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;

/** The left `width` columns of an image as an RGB PNG (filter 0). */
function writePng(img: Png, width: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.concat(img.rows.map((r) => Buffer.concat([Buffer.from([0]), r.subarray(0, width * 3)])));
  const signature = Buffer.from('89504e470d0a1a0a', 'hex');
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Headless Chromium will not lay a window out narrower than 500 px, so the report is shown in an
// iframe of exactly the width under test (srcdoc: same origin, so the page can measure inside it).
const MIN_WINDOW = 500;
const HEIGHT: Record<number, number> = { 400: 1950, 1200: 1500 };

function page(report: string, width: number): string {
  const attr = report.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  const measure =
    `window.addEventListener('load', () => {
    const d = document.getElementById('r').contentDocument;
    const card = d.querySelector('.pd-card').getBoundingClientRect();
    const m = { ` +
    `scrollWidth: d.documentElement.scrollWidth, innerWidth: d.defaultView.innerWidth, left: card.left, ` +
    `right: card.right };
    document.body.setAttribute('data-measure', JSON.stringify(m));
  });`;
  const frame = `border:0;display:block;width:${width}px;height:${HEIGHT[width]}px`;
  return (
    `<!DOCTYPE html><html><body style="margin:0;background:#000">` +
    `<iframe id="r" style="${frame}" srcdoc="${attr}"></iframe><script>${measure}</script></body></html>`
  );
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
  '--no-first-run',
];
const chromium = (args: string[]): string =>
  execFileSync(CHROMIUM!, [...FLAGS, '--force-device-scale-factor=1', ...args], {
    stdio: 'pipe',
    timeout: 60_000,
    encoding: 'utf8',
  });

/** Where the card starts and ends in a row of pixels: the first and last pixel that is not page background. */
function cardEdges(row: Buffer, width: number): [number, number] {
  const bg = row.readUIntBE(0, 3);
  let left = 0;
  while (left < width && row.readUIntBE(left * 3, 3) === bg) left++;
  let right = width - 1;
  while (right > left && row.readUIntBE(right * 3, 3) === bg) right--;
  return [left, width - 1 - right];
}

describe('report HTML in headless Chromium', () => {
  const html = renderReport(buildReportModel(reportData())).html;

  for (const width of [400, 1200]) {
    it.skipIf(skip)(`fits ${width} px without horizontal overflow, measured in the page and in a screenshot`, () => {
      expect(CHROMIUM, 'CI must install Chromium (Debian package `chromium`)').toBeDefined();
      const file = join(dir, `page-${width}.html`);
      writeFileSync(file, page(html, width));
      const window = `--window-size=${Math.max(width, MIN_WINDOW)},${HEIGHT[width]}`;

      const dom = chromium([window, '--dump-dom', `file://${file}`]);
      type Measure = { scrollWidth: number; innerWidth: number; left: number; right: number };
      const m = JSON.parse(
        (/data-measure="([^"]*)"/.exec(dom)?.[1] ?? 'null').replace(/&quot;/g, '"'),
      ) as Measure | null;
      expect(m, 'the page wrote its measurement').not.toBeNull();
      expect(m!.innerWidth).toBe(width);
      expect(m!.scrollWidth).toBeLessThanOrEqual(m!.innerWidth);
      // The card is as wide as the window (less its 8 px margins) up to 960 px, and centred.
      const cardWidth = Math.min(width - 16, 960);
      expect(m!.right - m!.left).toBe(cardWidth);
      expect(m!.left).toBe((width - cardWidth) / 2);

      const png = join(dir, `report-${width}.png`);
      chromium([window, `--screenshot=${png}`, `file://${file}`]);
      const shot = readPng(readFileSync(png));
      expect([shot.width, shot.height]).toEqual([Math.max(width, MIN_WINDOW), HEIGHT[width]]);
      // A blank or error page has a handful of colours; the report has text, badges and the chart.
      expect(shot.colours).toBeGreaterThan(20);
      // In the pixels: the card's border is as far from the right edge as from the left one, in
      // every row of the card's top (a cut or overflowing card ends at the right edge).
      const margin = (width - cardWidth) / 2;
      for (let y = 30; y < 200; y += 10) expect(cardEdges(shot.rows[y]!, width), `row ${y}`).toEqual([margin, margin]);
      if (process.env.PORTDRIFT_UPDATE_DOCS === '1') {
        const img = join(import.meta.dirname, '..', '..', '..', 'docs', 'img');
        mkdirSync(img, { recursive: true });
        writeFileSync(join(img, `report-${width}.png`), writePng(shot, width));
      }
    });
  }
});
