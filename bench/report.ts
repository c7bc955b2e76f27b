/**
 * Report speed: one map figure (200×200 scan), one Vega-Lite curve plot to SVG and PNG, and
 * renderRun on the small fabricated run of the report tests. Medians of several runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderRun } from '../report/index.ts';
import type { BenchRow } from './types.ts';
import { makeRun } from '../test/report/fixture.ts';
import { renderMapFigure } from '../viz/map-figure.ts';
import { curvePlotSpec, renderPng, renderSvg } from '../viz/plots.ts';

async function median(n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

export async function bench(opts: { repeats?: number } = {}): Promise<BenchRow[]> {
  const n = opts.repeats ?? 5;
  const ny = 200;
  const nx = 200;
  const values = new Float32Array(ny * nx).map((_, i) => Math.sin(i / 300) + Math.cos((i % nx) / 17));
  const mapMs = await median(n, () =>
    renderMapFigure({ values, ny, nx, title: 'r1 · position', label: 'r₁', unit: 'Å', step: { y: 3, x: 3 } }),
  );
  const x = Float64Array.from({ length: 800 }, (_, i) => i * 0.0125);
  const series = [0, 1, 2].map((k) => ({ label: `p${k}`, x, y: x.map((r) => Math.sin(r * 3 + k)) }));
  const spec = curvePlotSpec({ series, xTitle: 'r (Å)', yTitle: 'G(r)' });
  const svgMs = await median(n, () => renderSvg(spec));
  const pngMs = await median(n, () => renderPng(spec));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-report-'));
  try {
    const run = makeRun(dir);
    const runMs = await median(Math.max(1, Math.floor(n / 2)), () => renderRun(dir, run.manifest));
    return [
      { name: 'map figure 200×200 (PNG pixels + colour bar + scale bar)', value: mapMs, unit: 'ms' },
      { name: 'curve plot, 3 × 800 points → SVG (vega)', value: svgMs, unit: 'ms' },
      { name: 'curve plot → PNG ×2 (vega + resvg)', value: pngMs, unit: 'ms' },
      {
        name: 'renderRun, fabricated run (15 outputs, 6×8 scan)',
        value: runMs,
        unit: 'ms',
        note: 'report tests fixture',
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await bench())
    console.log(`${r.name.padEnd(62)} ${r.value.toFixed(1).padStart(8)} ${r.unit}`);
}
