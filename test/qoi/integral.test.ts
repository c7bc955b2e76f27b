/** qoi.integral against analytic integrals: a Gaussian's area and centroid, a peak on a sloped background, piecewise-linear exactness. */
import { describe, expect, it } from 'vitest';
import { f64, nd } from '../../engine/ndarray.ts';
import { integrateWindow, qoiIntegral } from '../../nodes/qoi/integral.ts';

const base = {
  node: 'shell',
  scan: { ny: 1, nx: 2 },
  dataset: null,
  log: () => {},
  state: undefined,
  chunk: { index: 0, start: 0, count: 2 },
};

function curves(xs: number[], fs: ((x: number) => number)[]) {
  const n = xs.length;
  const y = new Float32Array(n * fs.length);
  fs.forEach((f, c) => {
    xs.forEach((x, i) => {
      y[c * n + i] = f(x);
    });
  });
  return {
    fields: { G: nd(y, [fs.length, n]) },
    axes: { r: f64([n], xs) },
    meta: { axisOf: { G: 'r' }, units: { G: 'Å⁻²' } },
  };
}

describe('qoi.integral', () => {
  it('a Gaussian: area A·σ·√(2π) and centroid μ; on a sloped background the linear baseline removes it', async () => {
    const [A, mu, s] = [4, 2.73, 0.12];
    const gauss = (x: number) => A * Math.exp(-((x - mu) ** 2) / (2 * s * s));
    const xs = Array.from({ length: 1001 }, (_, i) => i * 0.01);
    const inputs = { curve: curves(xs, [gauss, (x) => gauss(x) + 0.8 - 0.3 * x]) };
    const none = await qoiIntegral.process!({
      ...base,
      params: { range: [mu - 6 * s, mu + 6 * s], baseline: 'none', field: null },
      inputs,
    });
    const exact = A * s * Math.sqrt(2 * Math.PI);
    expect(Math.abs(none.fields.integral.data[0] - exact) / exact).toBeLessThan(1e-4);
    expect(Math.abs(none.fields.centroid.data[0] - mu)).toBeLessThan(1e-5);
    // Background 0.8 − 0.3x adds its own area without a baseline…
    const bg = 0.8 * 12 * s - 0.15 * ((mu + 6 * s) ** 2 - (mu - 6 * s) ** 2);
    expect(Math.abs(none.fields.integral.data[1] - (exact + bg)) / exact).toBeLessThan(1e-4);
    // …and the chord through the window ends takes it away again.
    const lin = await qoiIntegral.process!({
      ...base,
      params: { range: [mu - 6 * s, mu + 6 * s], baseline: 'linear', field: null },
      inputs,
    });
    expect(Math.abs(lin.fields.integral.data[1] - exact) / exact).toBeLessThan(1e-4);
    expect(Math.abs(lin.fields.centroid.data[1] - mu)).toBeLessThan(1e-4);
    expect(lin.meta?.units).toEqual({ integral: 'Å⁻²·Å', centroid: 'Å' });
  });

  it('exact for piecewise-linear curves on an uneven grid, window ends inside segments', () => {
    const x = [0, 0.5, 0.7, 2, 3.1];
    const y = x.map((v) => 2 + 3 * v);
    // ∫_{0.2}^{2.5} (2 + 3x) dx and ∫ x(2 + 3x) dx
    const F = (v: number) => 2 * v + 1.5 * v * v;
    const M = (v: number) => v * v + v ** 3;
    const r = integrateWindow(x, y, 0, 0.2, 2.5, 'none');
    expect(r.area).toBeCloseTo(F(2.5) - F(0.2), 12);
    expect(r.moment).toBeCloseTo(M(2.5) - M(0.2), 12);
    // A window inside one segment; a linear curve minus its own chord is 0.
    expect(integrateWindow(x, y, 0, 0.8, 1.9, 'none').area).toBeCloseTo(F(1.9) - F(0.8), 12);
    expect(integrateWindow(x, y, 0, 0.2, 2.5, 'linear').area).toBeCloseTo(0, 12);
  });

  it('a NaN inside the window gives NaN for that position only; a window off the curve is refused naming the param', async () => {
    const xs = Array.from({ length: 50 }, (_, i) => i * 0.1);
    const inputs = { curve: curves(xs, [(x) => (Math.abs(x - 2) < 0.01 ? NaN : 1), () => 1]) };
    const out = await qoiIntegral.process!({
      ...base,
      params: { range: [1, 3], baseline: 'none', field: null },
      inputs,
    });
    expect(out.fields.integral.data[0]).toBeNaN();
    expect(out.fields.integral.data[1]).toBeCloseTo(2, 5);
    expect(out.fields.centroid.data[1]).toBeCloseTo(2, 5);
    await expect(async () =>
      qoiIntegral.process!({ ...base, params: { range: [8, 9], baseline: 'none', field: null }, inputs }),
    ).rejects.toThrow(/shell.*range|range.*shell/);
    expect(() =>
      qoiIntegral.check!({ range: [3, 1], baseline: 'none', field: null }, { node: 'shell' } as never),
    ).toThrow(/x0 < x1/);
  });
});
