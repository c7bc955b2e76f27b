/**
 * Display settings (graph node `display`) on a small fabricated run: the PNG per output, the
 * overview, report.html, the explorer's map and the TIFF display range all follow the given
 * colormap and limits, and the manifest/provenance record them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../../engine/types.ts';
import { exportRun } from '../../report/exports/export-node.ts';
import { decodeTiff } from '../../report/exports/tiff.ts';
import { renderRun, type RenderResult } from '../../report/index.ts';
import { writeManifest } from '../../report/run-data.ts';
import { colorIndex, colorLimits, colormapLut } from '../../viz/colormaps.ts';
import { decodePng, readPngText } from '../../viz/png.ts';
import { makeRun, NX, NY, type FabricatedRun } from './fixture.ts';

let tmp: string;
let run: FabricatedRun;
let drawn: RenderResult;
const PEAK_LIMITS: [number, number] = [2.6, 2.8];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-display-'));
  run = makeRun(path.join(tmp, 'run'));
  const g = run.manifest.graph as { nodes: Record<string, Json> };
  g.nodes.peak = {
    op: 'qoi.peak',
    display: { colormap: 'magma', limits: PEAK_LIMITS, label: 'First-peak position r₁' },
  };
  g.nodes.fit = {
    op: 'fit.gaussians',
    display: { colormap: 'cividis', fields: { c1: { colormap: 'gray', percentiles: [10, 90] } } },
  };
  g.nodes.sro = { op: 'qoi.sro', display: { colormap: 'viridis' } };
  writeManifest(run.dir, run.manifest); // the explorer and export read the graph from manifest.json
  drawn = await renderRun(run.dir, run.manifest);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The RGB of every scan position's cell in a map figure, given the map rectangle from its provenance. */
function cells(png: Buffer): { rgb: (iy: number, ix: number) => number[]; figure: Record<string, any> } {
  const prov = JSON.parse(readPngText(png)['snem:provenance']);
  const { x, y, cellW, cellH } = prov.figure.map;
  const img = decodePng(png);
  return {
    figure: prov.figure,
    rgb: (iy, ix) => {
      const o = ((y + iy * cellH + (cellH >> 1)) * img.width + x + ix * cellW + (cellW >> 1)) * 4;
      return Array.from(img.data.subarray(o, o + 3));
    },
  };
}

const lutAt = (name: 'magma' | 'gray' | 'viridis' | 'cividis', i: number) =>
  Array.from(colormapLut(name).subarray(3 * i, 3 * i + 3));

describe('display settings in the figures', () => {
  it('a map PNG uses the given colormap and limits: the lower limit gets the first entry, the upper the last', () => {
    const { rgb, figure } = cells(fs.readFileSync(path.join(run.dir, 'peak.png')));
    expect(figure).toMatchObject({
      colormap: 'magma',
      limits: PEAK_LIMITS,
      limitsFrom: 'display.limits',
      label: 'First-peak position r₁',
    });
    const values = run.arrays['peak.npy'].data;
    let below = 0;
    let above = 0;
    for (let iy = 0; iy < NY; iy++)
      for (let ix = 0; ix < NX; ix++) {
        const v = values[iy * NX + ix];
        if (!Number.isFinite(v)) continue;
        const want = lutAt('magma', colorIndex(v, ...PEAK_LIMITS));
        expect(rgb(iy, ix), `(${iy}, ${ix}) = ${v}`).toEqual(want);
        if (v <= PEAK_LIMITS[0]) {
          below++;
          expect(rgb(iy, ix)).toEqual(lutAt('magma', 0));
        }
        if (v >= PEAK_LIMITS[1]) {
          above++;
          expect(rgb(iy, ix)).toEqual(lutAt('magma', 255));
        }
      }
    expect(below).toBeGreaterThan(0);
    expect(above).toBeGreaterThan(0);
  });

  it('per-field settings override the node’s; percentiles set the limits; a diverging default turns off with another colormap', () => {
    const c1 = cells(fs.readFileSync(path.join(run.dir, 'fit.c1.png')));
    const lim = colorLimits(run.arrays['fit.c1.npy'].data, { percentiles: [10, 90] });
    expect(c1.figure).toMatchObject({ colormap: 'gray', limits: lim, limitsFrom: 'percentiles 10–90' });
    expect(c1.rgb(NY - 1, 0)).toEqual(
      lutAt('gray', colorIndex(run.arrays['fit.c1.npy'].data[(NY - 1) * NX], ...lim)),
    );
    expect(cells(fs.readFileSync(path.join(run.dir, 'fit.A1.png'))).figure).toMatchObject({
      colormap: 'cividis',
      limitsFrom: 'percentiles 1–99',
    });
    // α defaults to RdBu_r symmetric about 0; with viridis it is not centred.
    const sro = cells(fs.readFileSync(path.join(run.dir, 'sro.png'))).figure;
    expect(sro).toMatchObject({
      colormap: 'viridis',
      symmetric: false,
      limits: colorLimits(run.arrays['sro.npy'].data),
    });
    // Untouched outputs keep the automatic choice.
    expect(cells(fs.readFileSync(path.join(run.dir, 'fit.a.png'))).figure).toMatchObject({
      colormap: 'cividis',
    });
  });

  it('the overview, report.html and the returned record (for the manifest) follow the settings', () => {
    const over = JSON.parse(
      readPngText(fs.readFileSync(path.join(run.dir, 'report.maps.png')))['snem:provenance'],
    );
    const peak = over.figure.display.find((d: { node: string }) => d.node === 'peak');
    expect(peak).toMatchObject({ colormap: 'magma', limits: PEAK_LIMITS, label: 'First-peak position r₁' });
    const rec = drawn.figures.find((f) => f.file === 'peak.png');
    expect(rec).toMatchObject({
      node: 'peak',
      field: 'rmax',
      colormap: 'magma',
      limits: PEAK_LIMITS,
      display: { colormap: 'magma', limits: PEAK_LIMITS },
    });
    expect(drawn.figures.filter((f) => f.file === 'nmf.fractions.png').map((f) => f.panel)).toEqual([
      0, 1, 2,
    ]);
    const html = fs.readFileSync(path.join(run.dir, 'report.html'), 'utf8');
    expect(html).toContain('First-peak position r₁');
    expect(html).toContain('colormap <code>magma</code> · limits <code>2.6 … 2.8</code> (display.limits)');
  });

  it('the TIFF display range uses the display limits', async () => {
    const r = await exportRun(run.dir, { node: 'peak', format: 'tiff', to: path.join(tmp, 'peak.tif') });
    const desc = decodeTiff(fs.readFileSync(r.files[0])).description!;
    expect(desc).toContain(`min=${PEAK_LIMITS[0]}\nmax=${PEAK_LIMITS[1]}`);
    // Without settings: the automatic 1st–99th percentile range, as before.
    const s = await exportRun(run.dir, { node: 'nmf', format: 'tiff', to: path.join(tmp, 'nmf') });
    const [lo, hi] = colorLimits(run.arrays['nmf.fractions.npy'].data);
    expect(decodeTiff(fs.readFileSync(s.files[0])).description).toContain(`min=${lo}\nmax=${hi}`);
  });
});
