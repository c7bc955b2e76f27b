import { describe, expect, it } from 'vitest';
import { f32 } from '../../engine/ndarray.ts';
import type { DatasetContext, Value } from '../../engine/types.ts';
import { gaussianTaps, mapSmooth, smoothScan } from '../../nodes/map/smooth.ts';
import { rng as makeRng } from './rng.ts';

const whole = (value: Value) => ({ scope: 'dataset' as const, value });
const ctx = (params: object, inputs: object, ny: number, nx: number) =>
  ({
    node: 'n',
    params,
    inputs,
    scan: { ny, nx },
    dataset: { meta: {} },
    log: () => {},
    workers: 1,
  }) as unknown as DatasetContext<never>;

/** Direct 2-D normalised convolution: the definition smoothScan's separable passes must equal. */
function direct(
  v: Float32Array,
  ny: number,
  nx: number,
  n: number,
  use: Uint8Array,
  sigma: number,
): Float64Array {
  const h = Math.ceil(3 * sigma);
  const out = Float64Array.from(v);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const p = iy * nx + ix;
      if (!use[p]) continue;
      for (let i = 0; i < n; i++) {
        let s = 0;
        let w = 0;
        for (let dy = -h; dy <= h; dy++) {
          for (let dx = -h; dx <= h; dx++) {
            const jy = iy + dy;
            const jx = ix + dx;
            if (jy < 0 || jy >= ny || jx < 0 || jx >= nx || !use[jy * nx + jx]) continue;
            const k = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            s += k * v[(jy * nx + jx) * n + i];
            w += k;
          }
        }
        out[p * n + i] = s / w;
      }
    }
  }
  return out;
}

describe('map.smooth', () => {
  it('separable masked passes equal the direct 2-D normalised convolution', () => {
    const rng = makeRng(3);
    const ny = 7,
      nx = 9,
      n = 3;
    const v = Float32Array.from({ length: ny * nx * n }, () => rng.uniform() * 10 - 5);
    const use = Uint8Array.from({ length: ny * nx }, () => (rng.uniform() < 0.7 ? 1 : 0));
    for (const sigma of [0.7, 1, 1.6]) {
      const got = Float32Array.from(v);
      smoothScan(got, ny, nx, n, use, gaussianTaps(sigma));
      const want = direct(v, ny, nx, n, use, sigma);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    }
  });

  it('keeps a constant in the mask, does not leak what is outside it, leaves it unchanged', () => {
    const ny = 5,
      nx = 6;
    const v = new Float32Array(ny * nx).fill(2);
    const use = new Uint8Array(ny * nx).fill(1);
    for (const q of [3, 9, 15]) {
      v[q] = 100; // "Ni" column, excluded
      use[q] = 0;
    }
    smoothScan(v, ny, nx, 1, use, gaussianTaps(1.2));
    for (let q = 0; q < v.length; q++) expect(v[q]).toBeCloseTo([3, 9, 15].includes(q) ? 100 : 2, 5);
  });

  it('σ = 0 is the identity; a scalar map stays [ny, nx]; curves keep their axis; NaN positions stay out', async () => {
    expect(Array.from(gaussianTaps(0))).toEqual([1]);
    const ny = 3,
      nx = 4,
      n = 5;
    const G = f32(
      [ny * nx, n],
      Array.from({ length: ny * nx * n }, (_, i) => i % n),
    );
    G.data[2 * n + 1] = NaN;
    const r = f32([n], [1, 2, 3, 4, 5]);
    const out = await mapSmooth.run!(
      ctx(
        { sigma: 1, field: null },
        { input: whole({ fields: { G, F: f32([ny * nx, n]) }, axes: { r }, meta: { axisOf: { G: 'r' } } }) },
        ny,
        nx,
      ),
    );
    expect(out.fields.G.shape).toEqual([ny, nx, n]);
    expect(out.axes!.r).toBe(r);
    for (let p = 0; p < ny * nx; p++) {
      for (let i = 0; i < n; i++) {
        if (p === 2 && i === 1) expect(Number.isNaN(out.fields.G.data[p * n + i])).toBe(true);
        else expect(out.fields.G.data[p * n + i]).toBeCloseTo(i, 5); // every curve equal → unchanged
      }
    }
    // a linear map (v = 2x + 3y) is unchanged where the whole kernel (|d| ≤ 3 for σ = 0.8) fits: symmetric taps
    const N = 9;
    const m = f32(
      [N, N],
      Array.from({ length: N * N }, (_, i) => 2 * (i % N) + 3 * Math.floor(i / N)),
    );
    const s = await mapSmooth.run!(
      ctx({ sigma: 0.8, field: 'position' }, { input: whole({ fields: { position: m, height: m } }) }, N, N),
    );
    expect(s.fields.position.shape).toEqual([N, N]);
    expect(s.fields.position.data[4 * N + 4]).toBeCloseTo(20, 5);
  });
});
