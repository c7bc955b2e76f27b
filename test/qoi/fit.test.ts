import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { f32 } from '../../engine/ndarray.ts';
import { GaussiansModel, autoStart, model, referenceStartBounds } from '../../nodes/fit/gaussian-model.ts';
import { fitCurves, type GaussiansParams } from '../../nodes/fit/gaussians.ts';
import { FitArena } from '../../nodes/fit/kernel.ts';
import { applyLoss } from '../../nodes/fit/losses.ts';
import { BoundedLsq, LSQ_STATUS, type LsqModel } from '../../nodes/fit/trust-region.ts';
import { rng } from './rng.ts';

const TRUTH = [1.88, 2.75, 0.15, 1.0, 3.25, 0.2, -1, 2]; // A1 c1 σ1 A2 c2 σ2 a a0
const STEP = 0.01;
const R = Float64Array.from({ length: 400 }, (_, i) => 1 + i * STEP); // r = 1 … 4.99 Å

function curves(count: number, noise: number, seed: number, truth = TRUTH) {
  const g = rng(seed);
  const y = f32([count, R.length]);
  for (let c = 0; c < count; c++)
    for (let i = 0; i < R.length; i++) y.data[c * R.length + i] = model(2, truth, R[i]) + noise * g.normal();
  return y;
}

const base: GaussiansParams = {
  n: 2,
  range: [2.1, 4.0],
  init: 'reference',
  start: null,
  lower: null,
  upper: null,
  loss: 'soft_l1',
  fScale: 0.005,
  maxEval: null,
  field: null,
};

describe('fit.gaussians', () => {
  it('fits curves on a float32 r axis (as pdf.reduce stores it) as on the float64 grid', () => {
    const y = curves(4, 0.02, 11);
    const R32 = Float32Array.from(R);
    for (const init of ['reference', 'auto'] as const) {
      const a = fitCurves(y, R, 4, { ...base, init });
      const b = fitCurves(y, R32, 4, { ...base, init });
      for (const f of ['c1', 'c2', 'sigma1', 'A1', 'rw']) {
        for (let c = 0; c < 4; c++) expect(b.fields[f].data[c]).toBeCloseTo(a.fields[f].data[c], 5);
      }
    }
  });

  it.each([
    ['reference', 'soft_l1'],
    ['auto', 'soft_l1'],
    ['auto', 'linear'],
    ['auto', 'huber'],
    ['auto', 'cauchy'],
  ] as const)('recovers a noisy two-Gaussian doublet (init %s, loss %s)', (init, loss) => {
    const y = curves(8, 0.02, 7);
    // fScale sets where the loss turns robust: the reference 0.005 for soft_l1, about the noise for the others
    const v = fitCurves(y, R, 8, { ...base, init, loss, fScale: loss === 'soft_l1' ? 0.005 : 0.05 });
    for (let c = 0; c < 8; c++) {
      expect(v.fields.status.data[c]).toBe(0);
      expect(Math.abs(v.fields.c1.data[c] - 2.75)).toBeLessThan(0.005);
      expect(Math.abs(v.fields.c2.data[c] - 3.25)).toBeLessThan(0.005);
      expect(Math.abs(v.fields.sigma1.data[c] - 0.15)).toBeLessThan(0.005);
      const h1 = 1.88 / (Math.sqrt(2 * Math.PI) * 0.15);
      expect(Math.abs(v.fields.height1.data[c] - h1) / h1).toBeLessThan(0.02);
      expect(v.fields.c1_err.data[c]).toBeGreaterThan(0);
      expect(v.fields.c1_err.data[c]).toBeLessThan(0.005);
      expect(v.fields.rw.data[c]).toBeLessThan(0.02);
    }
  });

  it('the robust loss ignores an outlier that drags the linear-loss fit', () => {
    const y = curves(1, 0.005, 3);
    const iSpike = Math.round((3.0 - 1) / STEP);
    y.data[iSpike] += 4; // single-sample artefacts (e.g. a hot pixel that survived masking)
    y.data[iSpike + 45] -= 3;
    const lin = fitCurves(y, R, 1, { ...base, init: 'auto', loss: 'linear' });
    const rob = fitCurves(y, R, 1, { ...base, init: 'auto', loss: 'soft_l1' });
    const errLin = Math.abs(lin.fields.c2.data[0] - 3.25) + Math.abs(lin.fields.c1.data[0] - 2.75);
    const errRob = Math.abs(rob.fields.c2.data[0] - 3.25) + Math.abs(rob.fields.c1.data[0] - 2.75);
    expect(errLin).toBeGreaterThan(0.02);
    expect(errRob).toBeLessThan(0.005);
  });

  it('reference starts: from the curve first, the same optimum as the table in fewer steps; each position on its own', () => {
    // a slowly varying scan: the first-shell centres drift from position to position
    const count = 12;
    const g = rng(5);
    const y = f32([count, R.length]);
    for (let c = 0; c < count; c++) {
      const t = [1.88, 2.7 + 0.01 * c, 0.15, 1.0, 3.2 + 0.008 * c, 0.2, -1, 2];
      for (let i = 0; i < R.length; i++) y.data[c * R.length + i] = model(2, t, R[i]) + 0.01 * g.normal();
    }
    const chunk = fitCurves(y, R, count, base);
    const table = fitCurves(y, R, count, base, 'r', { dataStart: false });
    let steps = 0;
    let tableSteps = 0;
    for (let c = 0; c < count; c++) {
      expect(chunk.fields.status.data[c]).toBe(0);
      for (const f of ['A1', 'c1', 'sigma1', 'A2', 'c2', 'sigma2', 'a', 'a0']) {
        expect(Math.abs(chunk.fields[f].data[c] - table.fields[f].data[c])).toBeLessThan(
          2e-4 * Math.max(1, Math.abs(table.fields[f].data[c])),
        );
      }
      steps += chunk.fields.iterations.data[c];
      tableSteps += table.fields.iterations.data[c];
      // one position alone (a studio preview) gives the chunk's numbers bit for bit
      const alone = fitCurves(f32([1, R.length], y.data.slice(c * R.length, (c + 1) * R.length)), R, 1, base);
      for (const f of Object.keys(alone.fields))
        expect(alone.fields[f].data[0]).toBe(chunk.fields[f].data[c]);
    }
    expect(steps).toBeLessThan(0.5 * tableSteps);
  });

  it('a fit from the curve that ends on a bound is redone from the table', () => {
    // the first peak sits below c1's lower bound (2.4 Å): the fit ends on the bound
    const y = f32([1, R.length]);
    const t1 = [1.88, 2.3, 0.15, 1.0, 3.25, 0.2, -1, 2];
    for (let i = 0; i < R.length; i++) y.data[i] = model(2, t1, R[i]);
    const v = fitCurves(y, R, 1, base);
    const table = fitCurves(y, R, 1, base, 'r', { dataStart: false });
    expect(v.fields.status.data[0]).toBe(LSQ_STATUS.atBound);
    for (const f of Object.keys(table.fields)) expect(v.fields[f].data[0]).toBe(table.fields[f].data[0]);
  });

  it('reports failures in the status map, never throws', () => {
    const y = curves(3, 0, 1);
    y.data.fill(NaN, 0, R.length); // position 0: all NaN → too few points
    for (let i = R.length; i < R.length + 150; i++) y.data[R.length + i - R.length] = NaN;
    const v = fitCurves(y, R, 3, { ...base, init: 'auto' });
    expect(v.fields.status.data[0]).toBe(LSQ_STATUS.tooFewPoints);
    expect(Number.isNaN(v.fields.c1.data[0])).toBe(true);
    expect(v.fields.status.data[2]).toBe(0);
    const tight = fitCurves(curves(1, 0, 1), R, 1, {
      ...base,
      init: 'auto',
      upper: [Infinity, 2.7, 1, Infinity, 4, 1, Infinity, Infinity],
    });
    expect(tight.fields.status.data[0]).toBe(LSQ_STATUS.atBound);
    expect(tight.fields.c1.data[0]).toBeCloseTo(2.7, 6);
  });
});

/**
 * scipy parity, two ways. Here: the property that defines scipy's answer: least_squares(method='trf',
 * loss='soft_l1') returns the point where the projected gradient of ½Σ f²ρ((r/f)²) vanishes
 * (first-order KKT), checked against optima found by independent means (1-D bisection on the exact
 * gradient; finite differences of the exact cost). Below: scipy's own numbers (a stored fixture).
 */
describe('bounded trust-region solver: same optimum as scipy TRF', () => {
  // y = b (one parameter) on data d with soft_l1: optimum solves Σ ρ′(zᵢ)(b − dᵢ) = 0.
  const d = [0, 0.1, 0.2, 3, -0.05];
  const fs = 0.5;
  const constModel: LsqModel = {
    evaluate(x, r, J) {
      for (let i = 0; i < d.length; i++) {
        r[i] = x[0] - d[i];
        if (J) J[i] = 1;
      }
    },
  };
  const grad = (b: number) => d.reduce((s, di) => s + (b - di) / Math.sqrt(1 + ((b - di) / fs) ** 2), 0);
  const bisect = (lo: number, hi: number) => {
    for (let k = 0; k < 200; k++) {
      const mid = (lo + hi) / 2;
      if (grad(mid) > 0) hi = mid;
      else lo = mid;
    }
    return (lo + hi) / 2;
  };

  it('unbounded soft_l1 optimum equals the root of the exact gradient', () => {
    const s = new BoundedLsq(1, 10);
    s.solve(constModel, d.length, [2], [-Infinity], [Infinity], { loss: 'soft_l1', fScale: fs });
    expect(s.status).toBe(0);
    expect(s.x[0]).toBeCloseTo(bisect(-10, 10), 7);
    // and it is not the mean (what a linear loss gives)
    s.solve(constModel, d.length, [2], [-Infinity], [Infinity], { loss: 'linear', fScale: fs });
    expect(s.x[0]).toBeCloseTo(d.reduce((a, b) => a + b) / d.length, 10);
  });

  it('an active bound gives the KKT point on the bound', () => {
    const s = new BoundedLsq(1, 10);
    s.solve(constModel, d.length, [2], [0.5], [Infinity], { loss: 'soft_l1', fScale: fs });
    expect(s.x[0]).toBe(0.5);
    expect(grad(0.5)).toBeGreaterThan(0); // gradient pushes out of the box: a KKT point
    expect(s.status).toBe(LSQ_STATUS.atBound);
  });

  it('the two-Gaussian soft_l1 optimum is a stationary point of the exact robust cost', () => {
    const y = curves(1, 0.02, 11);
    const v = fitCurves(y, R, 1, { ...base, init: 'reference' });
    const names = ['A1', 'c1', 'sigma1', 'A2', 'c2', 'sigma2', 'a', 'a0'];
    const x = names.map((n) => v.fields[n].data[0]);
    const [i0, i1] = [110, 301];
    const r = new Float64Array(i1 - i0);
    const cost = (p: number[]) => {
      for (let i = i0; i < i1; i++) r[i - i0] = model(2, p, R[i]) - y.data[i];
      return applyLoss('soft_l1', 0.005, r, r.length, null, null);
    };
    const c0 = cost(x);
    for (let k = 0; k < 8; k++) {
      const h = 1e-5 * Math.max(1, Math.abs(x[k]));
      const xp = x.slice();
      const xm = x.slice();
      xp[k] += h;
      xm[k] -= h;
      const gk = (cost(xp) - cost(xm)) / (2 * h);
      // relative to the cost's scale: a move of h·1 changes the cost by ~ |g|·h ≪ cost
      expect(Math.abs(gk) * 1e-3).toBeLessThan(1e-4 * c0 + 1e-9);
      expect(cost(xp)).toBeGreaterThanOrEqual(c0 - 1e-9 * c0);
      expect(cost(xm)).toBeGreaterThanOrEqual(c0 - 1e-9 * c0);
    }
  });
});

describe('fit internals', () => {
  it('the uniform-grid exp recurrence matches direct exp (residuals and Jacobian)', () => {
    const m = 190;
    const g = new GaussiansModel(2, m);
    g.m = m;
    for (let i = 0; i < m; i++) {
      g.x[i] = (210 + i) * 0.01;
      g.y[i] = Math.sin(i);
    }
    const r1 = new Float64Array(m);
    const r2 = new Float64Array(m);
    const J1 = new Float64Array(8 * m);
    const J2 = new Float64Array(8 * m);
    // near-typical, the reference starts (spikes on the grid's edge), off-grid centres, centre outside
    const cases = [
      TRUTH,
      [0.01, 2.4, 0.01, 0.01, 3.5, 0.01, 1, 1],
      [1, 2.10499, 0.7, 2, 3.9951, 0.003, 0, 0],
      [1, 1.0, 0.3, 1, 5.0, 0.05, 0.5, -1],
    ];
    for (const c of cases) {
      const p = Float64Array.from(c);
      g.x[5] += 1e-6; // not uniform: exp at every sample
      g.prepare();
      g.x[5] -= 1e-6;
      g.evaluate(p, r1, J1);
      g.prepare(); // uniform: recurrence
      g.evaluate(p, r2, J2);
      for (let i = 0; i < m; i++) expect(Math.abs(r2[i] - r1[i])).toBeLessThan(1e-12 * (1 + Math.abs(r1[i])));
      let scale = 0;
      for (let i = 0; i < 8 * m; i++) scale = Math.max(scale, Math.abs(J1[i]));
      for (let i = 0; i < 8 * m; i++) expect(Math.abs(J2[i] - J1[i])).toBeLessThan(1e-12 * scale);
    }
  });

  // The WASM kernels claim the very numbers of the scalar JS they replace (same operations, same
  // association), so the fit's results do not depend on which path ran: checked bit for bit.
  it('WASM residuals and Jacobian equal the JS model bit for bit (odd and even m)', () => {
    for (const m of [190, 191]) {
      const arena = new FitArena(GaussiansModel.arenaSize(m) + 9 * m);
      const gw = new GaussiansModel(2, m, arena);
      const gj = new GaussiansModel(2, m);
      for (const g of [gw, gj]) {
        g.m = m;
        for (let i = 0; i < m; i++) {
          g.x[i] = (210 + i) * 0.01;
          g.y[i] = Math.sin(i);
        }
        g.prepare();
      }
      const rw = arena.take(m);
      const Jw = arena.take(8 * m);
      const rj = new Float64Array(m);
      const Jj = new Float64Array(8 * m);
      for (const c of [
        TRUTH,
        [0.01, 2.4, 0.01, 0.01, 3.5, 0.01, 1, 1],
        [1, 2.10499, 0.7, 2, 3.9951, 0.003, 0.3, -1],
      ]) {
        const p = Float64Array.from(c);
        rw.fill(NaN);
        Jw.fill(NaN);
        gw.evaluate(p, rw, Jw);
        gj.evaluate(p, rj, Jj);
        expect(Array.from(rw)).toEqual(Array.from(rj));
        expect(Array.from(Jw)).toEqual(Array.from(Jj));
      }
    }
  });

  it('the WASM soft_l1 pass equals applyLoss bit for bit', () => {
    const y = curves(1, 0.02, 5);
    const m = 191;
    const arena = new FitArena(BoundedLsq.arenaSize(8, m) + GaussiansModel.arenaSize(m));
    const s = new BoundedLsq(8, m, arena);
    const g = new GaussiansModel(2, m, arena);
    g.m = m;
    for (let i = 0; i < m; i++) {
      g.x[i] = R[110 + i];
      g.y[i] = y.data[110 + i];
    }
    g.prepare();
    const sb = referenceStartBounds(2, [2.1, 4.0]);
    const internals = s as unknown as {
      r: Float64Array;
      J: Float64Array;
      d1: Float64Array;
      w: Float64Array;
      loss(r: Float64Array, m: number, o: object, irls: boolean): number;
    };
    for (const x of [sb.start, TRUTH]) {
      g.evaluate(Float64Array.from(x), internals.r, internals.J);
      for (const irls of [true, false]) {
        const d1 = new Float64Array(m);
        const w = new Float64Array(m);
        const cj = applyLoss('soft_l1', 0.005, internals.r, m, d1, w, irls);
        const cw = internals.loss(internals.r, m, { loss: 'soft_l1', fScale: 0.005 }, irls);
        expect(cw).toBe(cj);
        expect(Array.from(internals.d1.subarray(0, m))).toEqual(Array.from(d1));
        expect(Array.from(internals.w.subarray(0, m))).toEqual(Array.from(w));
      }
    }
  });

  it('the normal-equation kernel gives g = Jᵀ(d1∘r) and symmetric H = JᵀWJ (any p, odd and even m)', () => {
    for (const p of [1, 2, 3, 5, 8]) {
      for (const m of [7, 190, 191]) {
        const arena = new FitArena(m * p + 4 * m + p * p + p);
        const J = arena.take(m * p);
        const r = arena.take(m);
        const d1 = arena.take(m);
        const w = arena.take(m);
        const wr = arena.take(m);
        const H = arena.take(p * p);
        const g = arena.take(p);
        for (let i = 0; i < m * p; i++) J[i] = Math.sin(1 + i * 0.37);
        for (let i = 0; i < m; i++) {
          r[i] = Math.cos(i);
          d1[i] = 1 / (1 + i);
          w[i] = 1 / (2 + i * i);
        }
        H.fill(NaN);
        arena.kernel.normal(
          J.byteOffset,
          r.byteOffset,
          d1.byteOffset,
          w.byteOffset,
          wr.byteOffset,
          H.byteOffset,
          g.byteOffset,
          m,
          p,
        );
        for (let a = 0; a < p; a++) {
          let ga = 0;
          for (let i = 0; i < m; i++) ga += J[a * m + i] * d1[i] * r[i];
          expect(Math.abs(g[a] - ga)).toBeLessThan(1e-13 * m);
          for (let b = 0; b < p; b++) {
            let h = 0;
            for (let i = 0; i < m; i++) h += w[i] * J[a * m + i] * J[b * m + i];
            expect(Math.abs(H[a * p + b] - h)).toBeLessThan(1e-13 * m);
            expect(H[a * p + b]).toBe(H[b * p + a]);
          }
        }
      }
    }
  });

  it('reference and auto starts, with and without the baseline refit, reach one optimum', () => {
    const y = curves(1, 0.02, 5);
    const g = new GaussiansModel(2, 191);
    let m = 0;
    for (let i = 110; i < 301; i++) {
      g.x[m] = R[i];
      g.y[m] = y.data[i];
      m++;
    }
    g.m = m;
    g.prepare();
    const sb = referenceStartBounds(2, [2.1, 4.0]);
    const auto = new Float64Array(8);
    autoStart(2, g.x, g.y, m, sb.lower, sb.upper, auto, new Float64Array(m));
    const s = new BoundedLsq(8, m);
    const results: Float64Array[] = [];
    for (const x0 of [sb.start, auto]) {
      for (const additiveFrom of [6, null]) {
        s.solve(g, m, x0, sb.lower, sb.upper, { loss: 'soft_l1', fScale: 0.005, additiveFrom });
        expect(s.status).toBe(0);
        results.push(s.x.slice());
      }
    }
    for (const x of results.slice(1))
      for (let k = 0; k < 8; k++)
        expect(Math.abs(x[k] - results[0][k])).toBeLessThan(1e-5 * (1 + Math.abs(results[0][k])));
  });
});

describe('scipy parity (fixture made by test/qoi/fixtures/fit-scipy-trf.py)', () => {
  const fx = JSON.parse(
    fs.readFileSync(new URL('./fixtures/fit-scipy-trf.json', import.meta.url), 'utf8'),
  ) as {
    r0: number;
    dr: number;
    n: number;
    cases: { truth: number[]; y: number[]; scipy: number[] }[];
  };
  it('reaches the optimum of curve_fit(method="trf", loss="soft_l1") from the reference starts', () => {
    const g = new GaussiansModel(2, fx.n);
    const sb = referenceStartBounds(2, [2.1, 4.0]);
    const s = new BoundedLsq(8, fx.n);
    for (const c of fx.cases) {
      let m = 0;
      for (let i = 0; i < fx.n; i++) {
        const x = fx.r0 + i * fx.dr;
        if (x < 2.1 - 1e-9 || x > 4.0 + 1e-9) continue;
        g.x[m] = x;
        g.y[m] = c.y[i];
        m++;
      }
      g.m = m;
      g.prepare();
      s.solve(g, m, sb.start, sb.lower, sb.upper, { loss: 'soft_l1', fScale: 0.005, additiveFrom: 6 });
      expect(s.status).toBe(0);
      for (let k = 0; k < 8; k++)
        expect(Math.abs(s.x[k] - c.scipy[k])).toBeLessThan(1e-5 * (1 + Math.abs(c.scipy[k])));
    }
  });
});
