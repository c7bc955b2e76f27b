/**
 * snem paper on the demo preset: every graph of graphs/paper/ runs, and paper.html opens in Debian's
 * chromium with every figure of the study present and every image decoded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePaper, type PaperResult } from '../../app/paper.ts';
import { readNpy } from '../../formats/npy.ts';
import { PAPER_FIGURES } from '../../report/paper-layout.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('snem paper (demo preset)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-paper-'));
  let result: PaperResult;
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  beforeAll(async () => {
    result = await makePaper({ preset: 'demo', outDir: tmp, workers: 2 });
  }, 900_000);

  it('runs every figure graph and draws every panel without a problem', () => {
    expect(result.problems).toEqual([]);
    expect(result.runs.map((r) => r.figure)).toEqual(PAPER_FIGURES.map((f) => f.id));
    expect(result.panels).toBeGreaterThanOrEqual(PAPER_FIGURES.reduce((s, f) => s + f.panels.length, 0));
  });

  it('Fig. S9 fits the middle row only: fit.structure converged or stopped there, status 6 (masked) elsewhere', () => {
    const run = result.runs.find((r) => r.figure === 'figS9')!;
    const st = readNpy(path.join(run.runDir, 'structure.status.npy'));
    const [ny, nx] = st.shape;
    const mid = Math.floor(ny / 2);
    for (let iy = 0; iy < ny; iy++)
      for (let ix = 0; ix < nx; ix++) {
        const v = st.data[iy * nx + ix];
        if (iy === mid) expect(v).not.toBe(6);
        else expect(v).toBe(6);
      }
    const zrx = readNpy(path.join(run.runDir, 'cutZrX.profile.npy')).data;
    expect(zrx.length).toBe(nx);
    expect(Array.from(zrx).filter(Number.isFinite).length).toBeGreaterThan(nx / 2);
  });

  it.skipIf(!fs.existsSync(CHROMIUM))(
    'renders in chromium: every figure section, every image loaded, every panel naming its node',
    async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const blocked: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith('data:') && !r.url().startsWith('file:')) blocked.push(r.url());
        });
        await page.goto(`file://${result.html}`, { waitUntil: 'load' });
        const info = await page.evaluate(() => ({
          sections: [...document.querySelectorAll('section[id]')].map((s) => s.id),
          images: [...document.images].map((i) => ({ ok: i.complete && i.naturalWidth > 0, alt: i.alt })),
          captions: [...document.querySelectorAll('figure figcaption')].map((c) => c.textContent ?? ''),
          problems: document.querySelectorAll('.problem').length,
          fig10: [...document.querySelectorAll<HTMLImageElement>('section#fig10 img')].map((i) => ({
            alt: i.alt,
            src: i.src,
          })),
        }));
        expect(info.sections).toEqual(PAPER_FIGURES.map((f) => f.id));
        expect(info.images.length).toBe(result.panels);
        expect(info.images.filter((i) => !i.ok)).toEqual([]);
        expect(info.captions.every((c) => /made by node \S+/.test(c))).toBe(true);
        expect(info.problems).toBe(0);
        expect(blocked).toEqual([]);
        // Fig. 10's scatter: the 2-D histogram on the two maps' value axes (map.correlate's bin centres).
        const scatter = info.fig10.find((i) => /^eelsZrVsR1: .+ against .+Pearson r/.test(i.alt));
        expect(scatter, info.fig10.map((i) => i.alt).join(' | ')).toBeDefined();
        const svg = Buffer.from(scatter!.src.slice(scatter!.src.indexOf(',') + 1), 'base64').toString('utf8');
        expect(svg).toMatch(/r1/);
        expect(svg).toMatch(/eelsZrOnScan/);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
