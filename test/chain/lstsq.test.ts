/**
 * calib/lstsq.ts on ml-matrix's QR: the same solutions as the Householder QR it replaced, to 1e-10
 * (that QR is kept here as the reference), on the fits snem makes — a polynomial in Q/Q_top
 * without constant (pdf.reduce), an ellipse conic (calib.geometry) — and a known exact solution.
 */
import { describe, expect, it } from 'vitest';
import { lstsq, qrFactor, qrSolve } from '../../nodes/calib/lstsq.ts';

/** The Householder QR least squares snem used before ml-matrix (reference). */
function householderLstsq(design: Float64Array, b: Float64Array, m: number, n: number): Float64Array {
  const a = Float64Array.from(design);
  const beta = new Float64Array(n);
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = a[k * n + k] > 0 ? -norm : norm;
    a[k * n + k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += a[i * n + k] ** 2;
    beta[k] = 2 / vv;
    for (let j = k + 1; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += a[i * n + k] * a[i * n + j];
      s *= beta[k];
      for (let i = k; i < m; i++) a[i * n + j] -= s * a[i * n + k];
    }
    diag[k] = alpha;
  }
  const w = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = k; i < m; i++) s += a[i * n + k] * w[i];
    s *= beta[k];
    for (let i = k; i < m; i++) w[i] -= s * a[i * n + k];
  }
  const x = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    let s = w[k];
    for (let j = k + 1; j < n; j++) s -= a[k * n + j] * x[j];
    x[k] = s / diag[k];
  }
  return x;
}

/** A deterministic pseudo-random sequence (no seed dependence between runs). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

const maxRelDiff = (a: Float64Array, b: Float64Array) => {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d / scale;
};

const maxAbs = (a: Float64Array) => a.reduce((t, v) => Math.max(t, Math.abs(v)), 0);
const maxAbsDiff = (a: Float64Array, b: Float64Array) =>
  a.reduce((t, v, i) => Math.max(t, Math.abs(v - b[i])), 0);

describe('least squares on ml-matrix QR', () => {
  it("pdf.reduce's polynomial (degree 1–10 in Q/Q_top, 400 Q points; the demo's is 5): within 1e-10 of the Householder QR", () => {
    const rnd = lcg(7);
    const m = 400;
    for (let deg = 1; deg <= 10; deg++) {
      const design = new Float64Array(m * deg);
      const b = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        const x = (0.1 + (i / (m - 1)) * 23.9) / 24;
        let p = 1;
        for (let d = 0; d < deg; d++) design[i * deg + d] = p *= x;
        b[i] = Math.sin(5 * x) * x + 0.05 * rnd();
      }
      const f = qrFactor(design, m, deg);
      expect(f.singular).toBe(false);
      // what pdf.reduce subtracts is the fitted polynomial: its values agree to 1e-10 of the curve
      // at every degree (the monomial coefficients themselves are ill-conditioned above degree 8)
      const fitted = (c: Float64Array) =>
        Float64Array.from({ length: m }, (_, i) => c.reduce((t, cj, j) => t + cj * design[i * deg + j], 0));
      const [ours, ref] = [qrSolve(f, b), householderLstsq(design, b, m, deg)];
      expect(maxAbsDiff(fitted(ours), fitted(ref)) / maxAbs(b), `degree ${deg}`).toBeLessThan(1e-10);
      if (deg <= 8) expect(maxRelDiff(ours, ref), `degree ${deg} coefficients`).toBeLessThan(1e-10);
    }
  });

  it('recovers an exact solution, and a conic fit equals the reference', () => {
    const rnd = lcg(3);
    const m = 60;
    const n = 5;
    const design = new Float64Array(m * n);
    const truth = Float64Array.from([0.7, -1.2, 0.3, 2.5, -0.4]);
    const b = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const t = (2 * Math.PI * i) / m;
      const [u, v] = [40 * Math.cos(t) + rnd(), 31 * Math.sin(t) + rnd()];
      design.set([u * u, u * v, v * v, u, v], i * n);
      for (let j = 0; j < n; j++) b[i] += design[i * n + j] * truth[j];
    }
    expect(maxRelDiff(lstsq(design, b, m, n)!, truth)).toBeLessThan(1e-10);
    const noisy = b.map((x) => x + rnd());
    expect(maxRelDiff(lstsq(design, noisy, m, n)!, householderLstsq(design, noisy, m, n))).toBeLessThan(
      1e-10,
    );
  });

  it('dependent columns: lstsq gives null, qrSolve a 0 coefficient for the dependent one', () => {
    const m = 10;
    const design = new Float64Array(m * 2);
    for (let i = 0; i < m; i++) design.set([i + 1, 2 * (i + 1)], i * 2);
    const b = Float64Array.from({ length: m }, (_, i) => 3 * (i + 1));
    expect(lstsq(design, b, m, 2)).toBeNull();
    const x = qrSolve(qrFactor(design, m, 2), b);
    expect(x[1]).toBe(0);
    expect(x[0]).toBeCloseTo(3, 10);
  });
});
