import { describe, expect, it } from 'vitest';
import { f32 } from '../../engine/ndarray.ts';
import type { DatasetContext } from '../../engine/types.ts';
import { halsReference } from '../../nodes/decompose/hals.ts';
import { halsNmf, RowPool, TILE_ROWS } from '../../nodes/decompose/hals-pool.ts';
import { nndsvda, randomizedSvd } from '../../nodes/decompose/nndsvd.ts';
import { decomposeNmf } from '../../nodes/decompose/nmf.ts';
import { pearson } from '../../nodes/map/pearson-core.ts';
import { rng } from './rng.ts';

/** Planted factors: k Gaussian-peak components on n samples, sparse non-negative weights. */
function planted(m: number, n: number, k: number, noise: number, seed: number) {
  const g = rng(seed);
  const H = new Float64Array(k * n);
  for (let t = 0; t < k; t++)
    for (let j = 0; j < n; j++)
      H[t * n + j] = Math.exp(-((j - ((t + 0.5) * n) / k) ** 2) / (2 * (n / (5 * k)) ** 2));
  const W = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let t = 0; t < k; t++) W[i * k + t] = g.uniform() < 0.3 ? 0 : g.uniform();
  const X = new Float32Array(new SharedArrayBuffer(m * n * 4));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let t = 0; t < k; t++) v += W[i * k + t] * H[t * n + j];
      X[i * n + j] = Math.max(0, v + noise * g.normal());
    }
  }
  return { X, W, H };
}

function bestMatch(Htrue: Float64Array, Hfit: ArrayLike<number>, k: number, n: number) {
  const out: number[] = [];
  for (let t = 0; t < k; t++) {
    let best = -1;
    for (let u = 0; u < k; u++)
      best = Math.max(
        best,
        pearson(Htrue.subarray(t * n, (t + 1) * n), Array.from(Hfit).slice(u * n, (u + 1) * n)),
      );
    out.push(best);
  }
  return out;
}

describe('NMF (NNDSVDa + HALS)', () => {
  it('randomized SVD finds the leading singular values of a low-rank matrix', async () => {
    const { X } = planted(200, 60, 3, 0, 3);
    const pool = await RowPool.open(X, 200, 60, 7, 1);
    const { s } = randomizedSvd(pool, 3, 0);
    await pool.close();
    // Frobenius² of a rank-3 matrix = Σ s²
    const f2 = X.reduce((a, v) => a + v * v, 0);
    expect((s[0] ** 2 + s[1] ** 2 + s[2] ** 2) / f2).toBeCloseTo(1, 6);
    expect(s[0]).toBeGreaterThan(s[1]);
  });

  it.each([1, 2])(
    'recovers planted factors (r ≥ 0.99) with non-increasing error, %i thread(s)',
    async (threads) => {
      const m = 2600,
        n = 80,
        k = 3;
      const { X, H } = planted(m, n, k, 0.002, 5);
      const pool = await RowPool.open(X, m, n, k + 4, threads);
      expect(pool.threads).toBe(threads);
      const init = nndsvda(pool, k, 0);
      const res = halsNmf(pool, init.W, init.H, { k, maxIter: 300, tol: 0 });
      await pool.close();
      for (const r of bestMatch(H, res.H, k, n)) expect(r).toBeGreaterThanOrEqual(0.99);
      for (let i = 1; i < res.iterations; i++)
        expect(res.errors[i]).toBeLessThanOrEqual(res.errors[i - 1] * (1 + 1e-9));
      // the bookkept error equals the directly computed one
      let direct = 0;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let v = 0;
          for (let t = 0; t < k; t++) v += res.W[i * k + t] * res.H[t * n + j];
          direct += (X[i * n + j] - v) ** 2;
        }
      expect(res.errors[res.iterations - 1]).toBeCloseTo(Math.sqrt(direct), 4);
    },
  );

  it('the WASM pool agrees with the float64 JS reference and gives identical results on 1 and 2 threads', async () => {
    // n not a multiple of 4 (padded columns), k not a multiple of 4 (padded probes), a partial last tile
    const m = 3 * TILE_ROWS + 77,
      n = 403,
      k = 5,
      iters = 60;
    const g = rng(21);
    const Hp = Float64Array.from({ length: k * n }, () => g.uniform());
    const X = new Float32Array(new SharedArrayBuffer(m * n * 4));
    for (let i = 0; i < m; i++) {
      const w = Array.from({ length: k }, () => (g.uniform() < 0.3 ? 0 : g.uniform()));
      for (let j = 0; j < n; j++) {
        let v = 0.05 * g.uniform();
        for (let t = 0; t < k; t++) v += w[t] * Hp[t * n + j];
        X[i * n + j] = v;
      }
    }
    const runs = [];
    for (const threads of [1, 2]) {
      const pool = await RowPool.open(X, m, n, k + 4, threads);
      expect(pool.threads).toBe(threads);
      const init = nndsvda(pool, k, 0);
      runs.push({ init, res: halsNmf(pool, init.W, init.H, { k, maxIter: iters, tol: 0 }) });
      await pool.close();
    }
    const [a, b] = runs;
    expect(Array.from(b.res.W)).toEqual(Array.from(a.res.W));
    expect(Array.from(b.res.H)).toEqual(Array.from(a.res.H));
    expect(Array.from(b.res.errors)).toEqual(Array.from(a.res.errors));
    // same start through the float64 JS loop: the WASM pass computes XHᵀ in float32 (≈1e-7), the rest in float64
    const ref = halsReference(X, m, n, a.init.W, a.init.H, k, iters);
    const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => Math.max(s, Math.abs(x)), 0);
    const maxDiff = (u: ArrayLike<number>, v: ArrayLike<number>) =>
      Array.from(u).reduce((s, x, i) => Math.max(s, Math.abs(x - v[i])), 0);
    expect(maxDiff(a.res.W, ref.W)).toBeLessThan(1e-5 * maxAbs(ref.W));
    expect(maxDiff(a.res.H, ref.H)).toBeLessThan(1e-5 * maxAbs(ref.H));
    for (let i = 0; i < iters; i++)
      expect(Math.abs(a.res.errors[i] - ref.errors[i])).toBeLessThan(1e-6 * ref.errors[i]);
    // and the error went down a lot (a real fit, not two copies of a no-op)
    expect(ref.errors[iters - 1]).toBeLessThan(0.2 * ref.errors[0]);
  });

  it('the op: masked positions NaN, fractions sum to 100 over physical components, deterministic', async () => {
    const ny = 10,
      nx = 12,
      n = 60,
      k = 3;
    const { X } = planted(ny * nx, n, k - 1, 0.001, 9);
    const G = f32([ny * nx, n]);
    for (let i = 0; i < X.length; i++) G.data[i] = X[i] - 0.5; // negative values: needs the shift
    const mask = new Uint8Array(ny * nx).fill(1);
    mask[0] = 0;
    const axis = f32(
      [n],
      Array.from({ length: n }, (_, j) => 1 + j * 0.1),
    );
    const ctx = {
      node: 'nmf',
      scan: { ny, nx },
      dataset: null,
      log: () => {},
      workers: 1,
      params: {
        components: k,
        shift: 'auto',
        maxIter: 300,
        tol: 0,
        seed: 0,
        range: null,
        physical: 'auto',
        field: null,
      },
      inputs: {
        curves: {
          scope: 'dataset',
          value: { fields: { G }, axes: { r: axis }, meta: { axisOf: { G: 'r' } } },
        },
        mask: {
          scope: 'dataset',
          value: { fields: { mask: { dtype: 'uint8', shape: [ny, nx], data: mask } } },
        },
      },
    } as unknown as DatasetContext<never>;
    const a = await decomposeNmf.run!(ctx);
    const b = await decomposeNmf.run!(ctx);
    expect(Array.from(a.fields.components.data)).toEqual(Array.from(b.fields.components.data));
    expect(a.fields.weights.shape).toEqual([ny, nx, k]);
    expect(Number.isNaN(a.fields.weights.data[0])).toBe(true);
    const bg = a.meta!.background as number;
    for (let p = 1; p < ny * nx; p++) {
      let s = 0;
      for (let t = 0; t < k; t++) if (t !== bg) s += a.fields.fractions.data[p * k + t];
      expect(s).toBeCloseTo(100, 3);
      expect(Number.isNaN(a.fields.fractions.data[p * k + bg])).toBe(true);
    }
    // the background component is the (mostly) flat one created by the shift
    const comp = Array.from(a.fields.components.data).slice(bg * n, (bg + 1) * n);
    const cosFlat = comp.reduce((x, v) => x + v, 0) / Math.sqrt(n * comp.reduce((x, v) => x + v * v, 0));
    expect(cosFlat).toBeGreaterThan(0.9);
    expect(a.meta!.relativeError as number).toBeLessThan(0.01);
  });
});
