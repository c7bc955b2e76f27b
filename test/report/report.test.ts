/**
 * The report of a small fabricated run, opened in headless Debian Chromium (playwright-core):
 * no console errors, no fetches, every image loads, the page is not blank; figures carry their
 * provenance; the explorer answers on 127.0.0.1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRun } from '../../report/index.ts';
import { lookupProvenance } from '../../report/provenance-lookup.ts';
import { colorIndex, colorLimits, colormapLut } from '../../viz/colormaps.ts';
import { decodePng, readPngText } from '../../viz/png.ts';
import { makeRun, NX, NY, type FabricatedRun } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let tmp: string;
let run: FabricatedRun;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does this)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-report-'));
  run = makeRun(path.join(tmp, 'run'));
  await renderRun(run.dir, run.manifest);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('renderRun', () => {
  it('writes a PNG per output, report.html and provenance.json listing every file', () => {
    for (const o of run.manifest.outputs)
      expect(fs.existsSync(path.join(run.dir, o.file.replace(/\.npy$/, '.png'))), o.file).toBe(true);
    expect(fs.existsSync(path.join(run.dir, 'fit.fit.png'))).toBe(true);
    const side = JSON.parse(fs.readFileSync(path.join(run.dir, 'provenance.json'), 'utf8'));
    const listed = new Set(Object.keys(side.files));
    for (const f of fs.readdirSync(run.dir)) expect(listed.has(f) || f === 'provenance.json', f).toBe(true);
  });

  it('a map PNG shows exactly the colormap of the known values, and carries run, node and key', () => {
    const png = fs.readFileSync(path.join(run.dir, 'peak.png'));
    const text = readPngText(png);
    expect(text['snem:run']).toBe(run.manifest.run);
    expect(text['snem:node']).toBe('peak.rmax');
    expect(text['snem:key']).toBe('key-peak');
    const prov = JSON.parse(text['snem:provenance']);
    const { x, y, cellW, cellH } = prov.figure.map;
    const values = run.arrays['peak.npy'].data;
    const [lo, hi] = colorLimits(values);
    expect(prov.figure.limits).toEqual([lo, hi]);
    const img = decodePng(png);
    const lut = colormapLut('viridis');
    for (let iy = 0; iy < NY; iy++)
      for (let ix = 0; ix < NX; ix++) {
        const o = ((y + iy * cellH + (cellH >> 1)) * img.width + x + ix * cellW + (cellW >> 1)) * 4;
        const v = values[iy * NX + ix];
        const want = Number.isFinite(v)
          ? Array.from(lut.subarray(3 * colorIndex(v, lo, hi), 3 * colorIndex(v, lo, hi) + 3))
          : [200, 200, 200];
        expect(Array.from(img.data.subarray(o, o + 3)), `(${iy}, ${ix})`).toEqual(want);
      }
    expect(cellH / cellW).toBeCloseTo(2 / 1.5, 1); // step [2, 1.5] nm: cells taller than wide
  });

  it('snem provenance answers for a figure, a data file, an axis file and the report', async () => {
    const png = await lookupProvenance(path.join(run.dir, 'sro.png'));
    expect(png.record).toMatchObject({ node: 'sro', op: 'qoi.sro', run: run.manifest.run });
    expect(png.record.inputs.fractions.node).toBe('nmf.fractions');
    const npy = await lookupProvenance(path.join(run.dir, 'fit.c2.npy'));
    expect(npy.record).toMatchObject({ node: 'fit', field: 'c2', params: { n: 2, range: [2.1, 4.0] } });
    expect((await lookupProvenance(path.join(run.dir, 'iq.axis.npy'))).record.role).toBe('axis');
    expect((await lookupProvenance(path.join(run.dir, 'report.html'))).record.graphName).toBe('fabricated');
  });
});

describe('report.html in headless Chromium', () => {
  it('opens offline with no console errors and no fetches; every image loads; not blank', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => !r.url().startsWith('data:') && requests.push(r.url()));
    await page.goto(`file://${path.join(run.dir, 'report.html')}`, { waitUntil: 'load' });
    const images = await page.$$eval('img', (imgs) =>
      imgs.map((i) => ({
        alt: i.alt,
        w: (i as HTMLImageElement).naturalWidth,
        done: (i as HTMLImageElement).complete,
      })),
    );
    expect(errors).toEqual([]);
    expect(requests).toEqual([`file://${path.join(run.dir, 'report.html')}`]);
    expect(images.length).toBeGreaterThanOrEqual(run.manifest.outputs.length + 3);
    for (const i of images) expect(i.w, i.alt).toBeGreaterThan(0);
    expect(await page.locator('svg .dag-node').count()).toBe(Object.keys(run.manifest.nodes).length);
    expect(await page.locator('#nodes tr').count()).toBe(Object.keys(run.manifest.nodes).length + 1);
    const shot = decodePng(await page.screenshot({ fullPage: false }));
    const colours = new Set<number>();
    for (let p = 0; p < shot.width * shot.height; p += 7)
      colours.add((shot.data[4 * p] << 16) | (shot.data[4 * p + 1] << 8) | shot.data[4 * p + 2]);
    expect(colours.size).toBeGreaterThan(50);
    await page.close();
  });
});
