/**
 * summary.polar: each pattern's pixel sums over polar cells (1 px rings × `sectors` angular
 * sectors about `center`): a compact per-position summary from which the studio draws any disc,
 * annulus or sector detector's image over the whole scan in milliseconds while the mouse drags
 * (cells wholly inside a detector count exactly, cut cells as evenly lit). Computed once per
 * (dataset, centre, layout) and cached per chunk like any node; not meant as a graph output
 * (≈ 3.3 kB per position at 144 × 144).
 */
import { defineOp } from '../../engine/types.ts';
import type { NDArray } from '../../engine/types.ts';
import { fitsUint16, polarLayout, type PolarLayout } from './polar-layout.ts';

interface PolarState {
  layout(h: number, w: number): PolarLayout;
}

export const summaryPolar = defineOp({
  name: 'summary.polar',
  version: 1,
  scope: 'frame',
  title: 'Polar cell sums per pattern (live virtual detectors)',
  description:
    'Per position, the sums of the raw pattern pixels over cells of 1 px in radius × 360/sectors degrees about `center` (cell = ring · sectors + sector, ring = floor(r px), angle 0° = +col counter-clockwise as displayed). uint16 for 8-bit detectors, float32 otherwise. The studio builds its live virtual-detector images from it; missing (NaN) pixels add nothing.',
  inputs: { frames: { scope: 'frame', description: 'raw patterns (source.frames)' } },
  params: {
    center: {
      type: 'number[]',
      length: 2,
      unit: 'px [col, row]',
      description: 'centre of the rings (the resolved geometry centre)',
    },
    sectors: { type: 'integer', default: 16, min: 1, max: 360, description: 'angular sectors per ring' },
  },
  outputs: {
    fields: { sums: { dims: ['positions', 'cells'], unit: 'counts', description: 'pixel sums per cell' } },
  },
  prepare({ params: p }): PolarState {
    const layouts = new Map<string, PolarLayout>();
    return {
      layout(h, w) {
        const key = `${h}x${w}`;
        let l = layouts.get(key);
        if (!l) layouts.set(key, (l = polarLayout([p.center[0], p.center[1]], h, w, p.sectors)));
        return l;
      },
    };
  },
  process({ chunk, inputs, state }) {
    const frames = inputs.frames.fields.frames ?? Object.values(inputs.frames.fields)[0];
    const [, h, w] = frames.shape;
    const layout = state.layout(h, w);
    const { cells, cellOf } = layout;
    const fsz = h * w;
    const small = fitsUint16(layout, frames.dtype);
    const out = small ? new Uint16Array(chunk.count * cells) : new Float32Array(chunk.count * cells);
    const local = new Float64Array(cells);
    const f = frames.data;
    for (let c = 0; c < chunk.count; c++) {
      local.fill(0);
      const base = c * fsz;
      for (let i = 0; i < fsz; i++) {
        const v = f[base + i];
        if (v === v) local[cellOf[i]] += v; // NaN (a missing frame) adds nothing
      }
      out.set(local, c * cells);
    }
    const sums: NDArray = { dtype: small ? 'uint16' : 'float32', shape: [chunk.count, cells], data: out };
    return {
      fields: { sums },
      meta: {
        units: { sums: 'counts' },
        center: layout.center,
        sectors: layout.sectors,
        rings: layout.rings,
        frameShape: [h, w],
      },
    };
  },
});
