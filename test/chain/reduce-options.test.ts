/**
 * pdf.reduce hardening (issue #17): the polynomial degree comes from the Q actually used, zero-padded
 * ends are not data, and ePDFpy's damping, fixed N and N⟨f²⟩ + C normalisation reproduce its formulas.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../engine/types.ts';
import { parseComposition } from '../../nodes/pdf/composition.ts';
import { ReductionPlan, type ReduceOptions } from '../../nodes/pdf/reduce.ts';
import { pdfReduce } from '../../nodes/pdf/reduce-op.ts';
import { averageFormFactors } from '../../nodes/pdf/scattering.ts';
import { params } from './harness.ts';

const composition = parseComposition('SiO2');
const base: ReduceOptions = {
  composition,
  formFactors: 'lobato',
  qmin: 1,
  qmax: 20,
  qmaxinst: 26.6,
  rpoly: 1.2,
  rmin: 0.5,
  rmax: 8,
  rstep: 0.01,
  window: 'none',
};

/** A SiO₂-like profile to 26.6 Å⁻¹: I = N₀(⟨f²⟩ + ⟨f⟩² h) + C₀ with h from Si–O and O–O shells, plus a slow background. */
function profile(dq = 0.02, qEnd = 26.6, N0 = 3.0, C0 = 0.4, background = true) {
  const q = Float64Array.from({ length: Math.floor(qEnd / dq) + 1 }, (_, i) => i * dq);
  const { meanSq, sqMean } = averageFormFactors(composition, q, 'lobato');
  const I = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const Q = q[i];
    const h =
      Q > 0
        ? ((1.3 * Math.sin(1.61 * Q)) / (1.61 * Q)) * Math.exp(-0.5 * (0.05 * Q) ** 2) +
          ((2.2 * Math.sin(2.63 * Q)) / (2.63 * Q)) * Math.exp(-0.5 * (0.09 * Q) ** 2)
        : 0;
    I[i] =
      N0 * (sqMean[i] + meanSq[i] * h) + C0 + (background ? 0.02 * N0 * sqMean[0] * Math.exp(-Q / 6) : 0);
  }
  return { q, I };
}

function reduce(plan: ReductionPlan, I: ArrayLike<number>) {
  const S = new Float32Array(plan.q.length);
  const F = new Float32Array(plan.q.length);
  const G = new Float32Array(plan.r.length);
  const N = plan.reduce(I, 0, S, F, G, 0, 0);
  return { S, F, G, N };
}

const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => Math.max(s, Math.abs(x)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((s, x, i) => Math.max(s, Math.abs(x - b[i])), 0);

describe('pdf.reduce: polynomial degree from the Q actually used', () => {
  it('qmaxinst 40 or 60 on data ending at 26.6 Å⁻¹ gives the G(r) of qmaxinst 26.6', () => {
    const { q, I } = profile();
    const atEnd = new ReductionPlan(q, base);
    const ref = reduce(atEnd, I);
    for (const qmaxinst of [40, 60]) {
      const plan = new ReductionPlan(q, { ...base, qmaxinst });
      expect(plan.qmaxinstUsed).toBeCloseTo(26.6, 1);
      expect(plan.degree).toBe(atEnd.degree); // round(1.2·26.6/π) = 10, not 15 or 23
      const out = reduce(plan, I);
      expect(maxDiff(out.G, ref.G)).toBeLessThan(1e-6 * maxAbs(ref.G));
    }
    expect(atEnd.degree).toBe(Math.round((1.2 * atEnd.qmaxinstUsed) / Math.PI));
  });
});

describe('pdf.reduce: zero padding is not data', () => {
  it('leading (beam stop) and trailing (detector edge) zeros act like empty bins', () => {
    const { q, I } = profile();
    const padded = Float64Array.from(I);
    const holes = Float64Array.from(I);
    for (let i = 0; i < 60; i++) {
      padded[i] = 0;
      holes[i] = NaN;
    }
    padded[q.length - 1] = 0;
    holes[q.length - 1] = NaN;
    const plan = new ReductionPlan(q, { ...base, qmin: 0.5 });
    const a = reduce(plan, padded);
    expect(plan.lastPadded).toBe(61);
    const b = reduce(plan, holes);
    expect(plan.lastPadded).toBe(0);
    expect(a.N).toBe(b.N);
    expect(Array.from(a.G)).toEqual(Array.from(b.G));
    // F at a padded point is NaN, not the −Q⟨f²⟩/⟨f⟩² (≈ −25 at the top) zeros would give
    expect(Number.isNaN(a.F[a.F.length - 1])).toBe(true);
    expect(Number.isNaN(a.F[0])).toBe(true);
    // a zero inside the curve is data (only the ends are padding)
    const inner = Float64Array.from(I);
    inner[500] = 0;
    reduce(plan, inner);
    expect(plan.lastPadded).toBe(0);
  });

  it('the op says so in its log', async () => {
    const { q, I } = profile();
    const rows = 3;
    const data = new Float32Array(rows * q.length);
    for (let p = 0; p < rows; p++) data.set(I, p * q.length);
    for (let i = 0; i < 40; i++) data[q.length + i] = 0;
    const iq: Value = {
      fields: { I: { dtype: 'float32', shape: [rows, q.length], data } },
      axes: { q: { dtype: 'float32', shape: [q.length], data: Float32Array.from(q) } },
      meta: { axisOf: { I: 'q' } },
    };
    const p = params(pdfReduce, { composition: 'SiO2', qmin: 0.5, qmax: 20, qmaxinst: 26.6 });
    const lines: string[] = [];
    const ctx = {
      node: 'pdf',
      params: p,
      scan: { ny: 1, nx: rows },
      dataset: null,
      log: (m: string) => lines.push(m),
    };
    const state = await pdfReduce.prepare!({ ...ctx, inputs: {} });
    const out = await pdfReduce.process!({
      ...ctx,
      chunk: { index: 0, start: 0, count: rows },
      inputs: { iq },
      state,
    } as never);
    expect(lines.join('\n')).toMatch(
      /zero padding: 1 of 3 curves .*\(up to 40 of \d+ points\); left out of N, the polynomial and the transform/,
    );
    expect(Number.isFinite(out.fields.N.data[1])).toBe(true);
  });
});

/**
 * ePDFpy (GWlab-SKKU/ePDFpy, calculate/pdf_calculator.py, as documented there), written out here on
 * its own: s = Q/2π; N from the least squares of I − I_fit against ⟨f²⟩ − ⟨f²⟩_fit over the range;
 * C = I_fit − N⟨f²⟩_fit; φ(s) = s (I − N⟨f²⟩ − C) / (N⟨f⟩²); G(r) = 8π Σ φ e^{−b s²} sin(Qr) Δs.
 */
function epdfpy(
  q: Float64Array,
  I: Float64Array,
  damping: number,
  r: ArrayLike<number>,
  fitAtQ: number | null,
  fixedN: number | null,
) {
  const { meanSq: fq2, sqMean: gq } = averageFormFactors(composition, q, 'lobato');
  const dq = q[1] - q[0];
  let pos = q.length - 1;
  if (fitAtQ !== null) while (q[pos] > fitAtQ + dq / 2) pos--;
  const gFit = gq[pos];
  const iFit = I[pos];
  let N = fixedN ?? 0;
  if (fixedN === null) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < q.length; i++) {
      a += (gq[i] - gFit) * (I[i] - iFit);
      b += (gq[i] - gFit) ** 2;
    }
    N = a / b;
  }
  const C = iFit - N * gFit;
  const ds = dq / (2 * Math.PI);
  const phi = Float64Array.from(q, (Q, i) => ((I[i] - N * gq[i] - C) * (Q / (2 * Math.PI))) / (N * fq2[i]));
  const G = Float64Array.from(r, (rr) => {
    let sum = 0;
    for (let i = 0; i < q.length; i++)
      sum += phi[i] * Math.exp(-damping * (q[i] / (2 * Math.PI)) ** 2) * Math.sin(q[i] * rr);
    return 8 * Math.PI * sum * ds;
  });
  return { N, C, phi, G };
}

describe("pdf.reduce: ePDFpy's damping, fixed N and N⟨f²⟩ + C", () => {
  const { q: qAll, I: IAll } = profile(0.02, 20, 3.0, 0.4, false);
  // ePDFpy works on the selected range only: Q from 1 to 20 Å⁻¹, no polynomial (rpoly small: degree 0)
  const from = 50;
  const q = qAll.slice(from);
  const I = IAll.slice(from);
  const opts: ReduceOptions = {
    ...base,
    qmin: 1,
    qmax: 20,
    qmaxinst: 20,
    rpoly: 0.01,
    normalisation: 'epdfpy',
  };
  const cases: [string, Partial<ReduceOptions>, number | null, number | null][] = [
    ['fitted N, C pinned at the top, damping 0.3', { damping: 0.3 }, null, null],
    ['fitted N, C pinned at 15 Å⁻¹, no damping', { cAtQ: 15 }, 15, null],
    ['fixed N 2.5, C pinned at 12 Å⁻¹, damping 1', { cAtQ: 12, fixedN: 2.5, damping: 1 }, 12, 2.5],
  ];
  it.each(cases)('%s', (_, extra, fitAtQ, fixedN) => {
    const plan = new ReductionPlan(qAll, { ...opts, ...extra });
    expect(plan.degree).toBe(0);
    expect(plan.q[0]).toBeCloseTo(q[0], 9);
    expect(plan.q.length).toBe(q.length);
    const out = reduce(plan, IAll);
    const ref = epdfpy(q, I, extra.damping ?? 0, plan.r, fitAtQ, fixedN);
    expect(out.N).toBeCloseTo(ref.N, 9);
    // F = 2π φ
    for (let i = 0; i < q.length; i++) expect(out.F[i]).toBeCloseTo(2 * Math.PI * ref.phi[i], 4);
    expect(maxDiff(out.G, ref.G)).toBeLessThan(1e-5 * maxAbs(ref.G));
  });

  it("defaults are the high-Q normalisation without damping (today's behaviour)", () => {
    const p = params(pdfReduce, { composition: 'SiO2' });
    expect(p.normalisation).toBe('high-q');
    expect(p.damping).toBe(0);
    expect(p.N).toBe('auto');
    expect(p.cAtQ).toBe('auto');
    // damping only changes G, and by e^{−b s²} inside the sum: b > 0 lowers the high-r ripple
    const plain = reduce(new ReductionPlan(qAll, opts), IAll);
    const damped = reduce(new ReductionPlan(qAll, { ...opts, damping: 2 }), IAll);
    expect(Array.from(damped.F)).toEqual(Array.from(plain.F));
    expect(maxAbs(damped.G)).toBeLessThan(maxAbs(plain.G));
  });
});

describe('pdf.reduce: the polynomial fit over gaps reuses its factor only for the same gaps', () => {
  it('a plan that reduced other gap patterns before gives what a fresh plan gives, bit for bit', () => {
    const { q, I } = profile();
    const withGaps = (lo: number, hi: number) =>
      Float64Array.from(I, (v, i) => (i >= lo && i < hi ? NaN : v));
    // the same beam-stop gap twice (the factor is reused), a different one, none, the first again
    const curves = [
      withGaps(0, 60),
      withGaps(0, 60),
      withGaps(0, 90),
      I,
      withGaps(400, 430),
      withGaps(0, 60),
    ];
    const shared = new ReductionPlan(q, base);
    for (const c of curves) {
      const a = reduce(shared, c);
      const b = reduce(new ReductionPlan(q, base), c);
      expect(Array.from(a.F)).toEqual(Array.from(b.F));
      expect(Array.from(a.G)).toEqual(Array.from(b.G));
    }
    // and the gaps matter: a different gap, a different polynomial
    expect(
      maxDiff(reduce(shared, curves[0]).F.subarray(100), reduce(shared, curves[2]).F.subarray(100)),
    ).toBeGreaterThan(0);
  });
});
