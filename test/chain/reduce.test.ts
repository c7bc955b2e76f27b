import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../engine/types.ts';
import { parseComposition } from '../../nodes/pdf/composition.ts';
import { formFactorQ } from '../../nodes/pdf/formfactors.ts';
import { ReductionPlan, type ReduceOptions } from '../../nodes/pdf/reduce.ts';
import { pdfReduce } from '../../nodes/pdf/reduce-op.ts';
import { averageFormFactors } from '../../nodes/pdf/scattering.ts';
import { directSineTransform } from '../../nodes/pdf/sine-transform.ts';
import { params, runFrame } from './harness.ts';

const require = createRequire(import.meta.url);
const lobato = require('../../nodes/pdf/data/lobato.json');
const kirkland = require('../../nodes/pdf/data/kirkland.json');

describe('composition', () => {
  it('parses formulas with decimal amounts and objects, normalised', () => {
    const c = parseComposition('Zr65Cu17.5Ni10Al7.5');
    expect(c.symbols).toEqual(['Zr', 'Cu', 'Ni', 'Al']);
    expect(Array.from(c.fractions)).toEqual([0.65, 0.175, 0.1, 0.075].map((x) => expect.closeTo(x, 12)));
    const s = parseComposition('SiO2');
    expect(Array.from(s.fractions)).toEqual([expect.closeTo(1 / 3, 12), expect.closeTo(2 / 3, 12)]);
    const o = parseComposition({ Ni: 1, Zr: 3 });
    expect(Array.from(o.fractions)).toEqual([0.25, 0.75]);
  });
  it('rejects unknown elements and junk', () => {
    expect(() => parseComposition('Zr65Xx35')).toThrow(/unknown element 'Xx'/);
    expect(() => parseComposition('zr65')).toThrow(/cannot read/);
    expect(() => parseComposition({ Zr: -1 })).toThrow(/positive/);
  });
});

describe('electron form factors at spot values', () => {
  const spots = [0, 0.7, 2.5, 6.0, 11.3];
  for (const [el, z] of [
    ['Zr', 40],
    ['Cu', 29],
    ['O', 8],
    ['Al', 13],
  ] as const) {
    it(`${el}: Lobato and Kirkland formulas in g = Q/2π`, () => {
      for (const Q of spots) {
        const g = Q / (2 * Math.PI);
        const L = lobato[String(z)];
        let fl = 0;
        for (let i = 0; i < 5; i++) fl += (L.a[i] * (2 + L.b[i] * g * g)) / (1 + L.b[i] * g * g) ** 2;
        const K = kirkland[String(z)];
        let fk = 0;
        for (let i = 0; i < 3; i++) fk += K.a[i] / (g * g + K.b[i]) + K.c[i] * Math.exp(-K.d[i] * g * g);
        expect(formFactorQ(el, Q, 'lobato')).toBeCloseTo(fl, 12);
        expect(formFactorQ(el, Q, 'kirkland')).toBeCloseTo(fk, 12);
        // Two independent parametrisations of the same physics agree to a few %: a Q-vs-g slip would not.
        expect(Math.abs(fl / fk - 1)).toBeLessThan(0.03);
      }
    });
  }
  it('Lobato: 2π² a₀ Σ a_i/b_i = Z (the X-ray limit)', () => {
    for (const z of [8, 13, 28, 29, 40]) {
      const L = lobato[String(z)];
      let s = 0;
      for (let i = 0; i < 5; i++) s += L.a[i] / L.b[i];
      expect(2 * Math.PI ** 2 * 0.529177 * s).toBeCloseTo(z, 2);
    }
  });
});

/** F(Q) of Gaussian G(r) peaks: F = Σ A e^{−σ²Q²/2} sin(Q r_k) ↔ G = Σ A N(r; r_k, σ) (r > 0). */
const PEAKS: [number, number, number][] = [
  [2.72, 1.0, 0.13],
  [3.25, 0.5, 0.16],
  [4.6, 0.7, 0.25],
  [5.4, 0.8, 0.28],
  [7.5, 0.6, 0.35],
];
const trueF = (Q: number) =>
  PEAKS.reduce((s, [r, A, sg]) => s + A * Math.exp(-(sg * sg * Q * Q) / 2) * Math.sin(Q * r), 0);

const Ntrue = 1000;
/**
 * I = N(⟨f²⟩ + ⟨f⟩² F/Q) + a smooth background: a tilted ⟨f²⟩-shaped part (acts as a normalisation
 * error) and a low-Q hump (its scale ⟨f²⟩ at the first bin centre, 0.018 Å⁻¹). I is even in Q.
 */
function forwardI(comp: ReturnType<typeof parseComposition>, qs: Float64Array): Float64Array {
  const ff = averageFormFactors(comp, qs, 'lobato');
  const f0 = averageFormFactors(comp, [0.018], 'lobato').sqMean[0];
  return qs.map((x, i) => {
    const Q = Math.max(Math.abs(x), 1e-9);
    return (
      Ntrue * (ff.sqMean[i] + (ff.meanSq[i] * trueF(Q)) / Q) +
      Ntrue * (0.2 * ff.sqMean[i] * (1 + 0.02 * Q) + 0.3 * f0 * Math.exp(-Q / 1.5))
    );
  });
}

/** y(Q) blurred by a Gaussian of σ in Q (the instrument's resolution): quadrature over ±8σ. */
function gaussianBlur(y: (qs: Float64Array) => Float64Array, q: Float64Array, sigma: number): Float64Array {
  const nx = 160;
  const st = 8 / nx;
  const w = Float64Array.from({ length: 2 * nx + 1 }, (_, k) => Math.exp(-0.5 * ((k - nx) * st) ** 2));
  const wSum = w.reduce((a, b) => a + b, 0);
  const v = y(
    Float64Array.from(
      { length: q.length * w.length },
      (_, j) => q[Math.floor(j / w.length)] + ((j % w.length) - nx) * st * sigma,
    ),
  );
  return q.map((_, i) => {
    let acc = 0;
    for (let k = 0; k < w.length; k++) acc += w[k] * v[i * w.length + k];
    return acc / wSum;
  });
}

function peakNear(r: Float64Array, g: ArrayLike<number>, r0: number): number {
  let bi = -1;
  for (let j = 1; j < r.length - 1; j++) {
    if (Math.abs(r[j] - r0) > 0.3) continue;
    if (g[j] >= g[j - 1] && g[j] > g[j + 1] && (bi < 0 || g[j] > g[bi])) bi = j;
  }
  const d = (g[bi - 1] - g[bi + 1]) / (2 * (g[bi - 1] - 2 * g[bi] + g[bi + 1]));
  return r[bi] + d * (r[1] - r[0]);
}

describe('reduction recovers G(r) from a forward-computed I(Q)', () => {
  const comp = parseComposition('Zr65Cu17.5Ni10Al7.5');
  // The integration's Q grid: 400 bin centres to 14.4 Å⁻¹.
  const q = Float64Array.from({ length: 400 }, (_, b) => (b + 0.5) * 0.036);
  const I = forwardI(comp, q);
  const opts = (rpoly: number): ReduceOptions => ({
    composition: comp,
    formFactors: 'lobato',
    qmin: 0.1,
    qmax: 8.1,
    qmaxinst: 12,
    rpoly,
    rmin: 0,
    rmax: 12,
    rstep: 0.01,
    window: 'none',
  });

  function reduce(rpoly: number) {
    const plan = new ReductionPlan(q, opts(rpoly));
    const S = new Float32Array(plan.q.length);
    const F = new Float32Array(plan.q.length);
    const G = new Float32Array(plan.r.length);
    const N = plan.reduce(I, 0, S, F, G, 0, 0);
    // Reference: the same truncated transform of the true F(Q).
    const qG = plan.q.slice(0, plan.nG);
    const ref = directSineTransform(qG, qG.map(trueF), 0.036, plan.r);
    // The ad hoc method recovers G up to one scale (the normalisation); fit it, then compare.
    let gg = 0;
    let gr = 0;
    for (let j = 0; j < plan.r.length; j++) {
      if (plan.r[j] < 1.5 || plan.r[j] > 10) continue;
      gg += ref[j] * ref[j];
      gr += G[j] * ref[j];
    }
    const scale = gr / gg;
    let se = 0;
    let n = 0;
    let peak = 0;
    let lowR = 0;
    for (let j = 0; j < plan.r.length; j++) {
      const d = G[j] - scale * ref[j];
      peak = Math.max(peak, Math.abs(ref[j]));
      if (plan.r[j] >= 1.5 && plan.r[j] <= 10) {
        se += d * d;
        n++;
      }
      if (plan.r[j] >= 0.5 && plan.r[j] <= 2) lowR = Math.max(lowR, Math.abs(d));
    }
    return {
      plan,
      S,
      F,
      G,
      N,
      ref,
      scale,
      rms: Math.sqrt(se / n) / (scale * peak),
      lowR: lowR / (scale * peak),
    };
  }

  it('peak positions within 0.01 Å of the true-F transform; background gone', () => {
    const out = reduce(1.2);
    expect(out.plan.degree).toBe(5);
    for (const r0 of [2.72, 4.6, 5.4, 7.5]) {
      const got = peakNear(out.plan.r, out.G, r0);
      const want = peakNear(out.plan.r, out.ref, r0);
      expect(Math.abs(got - want)).toBeLessThan(0.01);
      // and the truncated transform itself keeps the model's peaks close to where they were put
      expect(Math.abs(want - r0)).toBeLessThan(0.06);
    }
    // Shape recovered to < 1 % RMS above r = 1.5 Å; the low-r background artefact is small…
    expect(out.rms).toBeLessThan(0.01);
    expect(out.lowR).toBeLessThan(0.12);
    // …and it is the polynomial that removed it: without it (degree 0) both are much worse.
    const raw = reduce(0.01);
    expect(raw.plan.degree).toBe(0);
    expect(raw.lowR).toBeGreaterThan(3 * out.lowR);
    expect(raw.rms).toBeGreaterThan(out.rms);
    // S, F consistent: F = Q(S − 1).
    for (let i = 0; i < out.plan.q.length; i += 37)
      expect(out.F[i]).toBeCloseTo(out.plan.q[i] * (out.S[i] - 1), 4);
    expect(out.N).toBeGreaterThan(Ntrue);
  });

  it('Lorch window: G is the transform of F·sin(πQ/qmax)/(πQ/qmax)', () => {
    const plan = new ReductionPlan(q, { ...opts(1.2), window: 'lorch' });
    const S = new Float32Array(plan.q.length);
    const F = new Float32Array(plan.q.length);
    const G = new Float32Array(plan.r.length);
    plan.reduce(I, 0, S, F, G, 0, 0);
    const qG = plan.q.slice(0, plan.nG);
    const FW = qG.map((Q, i) => F[i] * (Math.sin((Math.PI * Q) / 8.1) / ((Math.PI * Q) / 8.1)));
    const want = directSineTransform(qG, FW, 0.036, plan.r);
    for (let j = 0; j < plan.r.length; j += 7) expect(G[j]).toBeCloseTo(want[j], 4);
    // The window damps termination ripples: the first peak is lower and wider than without it.
    const plain = reduce(1.2);
    const j0 = Math.round(2.72 / 0.01);
    expect(G[j0]).toBeLessThan(plain.G[j0]);
  });

  it('a non-uniform Q axis (pre-integrated profile) is resampled and gives the same G', () => {
    // Same I(Q) sampled on a stretched grid, then reduced; compare with the uniform result.
    const qs = Float64Array.from({ length: 500 }, (_, k) => 0.018 + 14.4 * (k / 499) ** 1.15);
    const Is = qs.map((Q) => {
      const i = Math.min(398, Math.max(0, Math.floor(Q / 0.036 - 0.5)));
      const t = (Q - q[i]) / 0.036;
      return I[i] * (1 - t) + I[i + 1] * t;
    });
    const plan = new ReductionPlan(qs, opts(1.2));
    const G = new Float32Array(plan.r.length);
    plan.reduce(Is, 0, new Float32Array(plan.q.length), new Float32Array(plan.q.length), G, 0, 0);
    const ref = reduce(1.2);
    const got = peakNear(plan.r, G, 2.72);
    expect(Math.abs(got - peakNear(ref.plan.r, ref.G, 2.72))).toBeLessThan(0.01);
  });

  it('the op reads integrate.azimuthal output and rejects bad params naming node and param', async () => {
    const iq: Value = {
      fields: {
        I: { dtype: 'float32', shape: [2, 400], data: Float32Array.from([...I, ...I.map((v) => 2 * v)]) },
      },
      axes: { q: { dtype: 'float32', shape: [400], data: Float32Array.from(q) } },
      meta: { axisOf: { I: 'q' } },
    };
    const given = { composition: 'Zr65Cu17.5Ni10Al7.5', rmax: 12 };
    const out = await runFrame(pdfReduce, given, {}, { iq }, 2);
    expect(out.fields.G.shape).toEqual([2, 1201]);
    expect(out.meta!.axisOf).toEqual({ S: 'q', F: 'q', G: 'r' });
    // The transform band travels with G(r), so fit.structure models the same termination ripples.
    expect([out.meta!.qmin, out.meta!.qmax, out.meta!.window]).toEqual([0.1, 8.1, 'none']);
    // A pure scale of I changes N only.
    expect(out.fields.N.data[1] / out.fields.N.data[0]).toBeCloseTo(2, 4);
    for (let j = 0; j < 1201; j += 50)
      expect(out.fields.G.data[1201 + j]).toBeCloseTo(out.fields.G.data[j], 3);
    // A g-axis profile (source.profiles with xUnit g) gives the same result.
    const ig: Value = {
      fields: { I: iq.fields.I },
      axes: { g: { dtype: 'float64', shape: [400], data: q.map((x) => x / (2 * Math.PI)) } },
      meta: { axisOf: { I: 'g' } },
    };
    const outG = await runFrame(pdfReduce, given, {}, { iq: ig }, 2);
    for (let j = 0; j < 1201; j += 50) expect(outG.fields.G.data[j]).toBeCloseTo(out.fields.G.data[j], 3);

    expect(() => params(pdfReduce, { composition: 'Zr65Qq35' }, 'pdf')).toThrow(
      /node 'pdf', param 'composition'.*unknown element 'Qq'/,
    );
    expect(() => params(pdfReduce, { composition: 'SiO2', rpoly: 0 }, 'pdf')).toThrow(
      /node 'pdf', param 'rpoly'/,
    );
    expect(() => params(pdfReduce, { composition: 'SiO2', qmin: 9, qmax: 8.1 }, 'pdf')).toThrow(
      /node 'pdf', param 'qmin'.*empty Q range/,
    );
    await expect(
      runFrame(
        pdfReduce,
        { composition: 'SiO2', qmax: 15, qmaxinst: 16 },
        {},
        { iq },
        2,
        0,
        undefined,
        'pdf',
      ),
    ).rejects.toThrow(/node 'pdf', param 'qmax'.*above the data's Q range/);
  });
});

describe('qResolution: the instrument-resolution correction', () => {
  const comp = parseComposition('Zr65Cu17.5Ni10Al7.5');
  const q = Float64Array.from({ length: 400 }, (_, b) => (b + 0.5) * 0.036);
  const opts = (qResolution: number): ReduceOptions => ({
    composition: comp,
    formFactors: 'lobato',
    qmin: 0.1,
    qmax: 8.1,
    qmaxinst: 12,
    rpoly: 1.2,
    rmin: 0,
    rmax: 12,
    rstep: 0.01,
    window: 'none',
    qResolution,
  });
  const R0 = [2.72, 4.6, 5.4, 7.5];

  function reduceG(I: Float64Array, qResolution: number) {
    const plan = new ReductionPlan(q, opts(qResolution));
    const G = new Float32Array(plan.r.length);
    plan.reduce(I, 0, new Float32Array(plan.q.length), new Float32Array(plan.q.length), G, 0, 0);
    return { plan, G };
  }

  /** Peak positions of G minus those of the same truncated transform of `f` on q (the true F, or it blurred). */
  function errors(plan: ReductionPlan, G: ArrayLike<number>, f: ArrayLike<number>): number[] {
    const ref = directSineTransform(
      plan.q.slice(0, plan.nG),
      Float64Array.from({ length: plan.nG }, (_, i) => f[plan.i0 + i]),
      0.036,
      plan.r,
    );
    return R0.map((r0) => peakNear(plan.r, G, r0) - peakNear(plan.r, ref, r0));
  }

  for (const sigma of [0.12, 0.2]) {
    it(`I(Q) blurred by σ_Q = ${sigma} Å⁻¹: the first peak within 0.01 Å with qResolution ${sigma}, not without; the rest is the blur of F itself`, () => {
      const I = gaussianBlur((qs) => forwardI(comp, qs), q, sigma);
      const off = reduceG(I, 0);
      const on = reduceG(I, sigma);
      const trueFs = q.map(trueF);
      const eOff = errors(off.plan, off.G, trueFs);
      const eOn = errors(on.plan, on.G, trueFs);
      // Unblurred, the same reduction is within 0.005 Å at every peak (the first test): the blur
      // moves all peaks low, and the correction takes most of it out at the first peak…
      expect(Math.abs(eOn[0])).toBeLessThan(0.01);
      expect(Math.abs(eOn[0])).toBeLessThan(0.4 * Math.abs(eOff[0]));
      for (const e of eOff) expect(e).toBeLessThan(0);
      if (sigma >= 0.2) expect(Math.abs(eOff[0])).toBeGreaterThan(0.01);
      // …and what it leaves is the blur of F(Q) itself (G(r) damped by e^{−σ²r²/2}, which moves broad
      // outer peaks a little): against the transform of the blurred true F every peak is within
      // 0.01 Å with the correction, while without it the outer ones are 0.01–0.06 Å off.
      const blurredF = gaussianBlur((qs) => qs.map(trueF), q, sigma);
      const vOn = errors(on.plan, on.G, blurredF);
      const vOff = errors(off.plan, off.G, blurredF);
      for (const e of vOn) expect(Math.abs(e)).toBeLessThan(0.01);
      expect(Math.max(...vOff.map(Math.abs))).toBeGreaterThan(0.015);
    });
  }

  it('off by default (0 gives the same numbers as no param); gaps (NaN bins) stay local', () => {
    const I = gaussianBlur((qs) => forwardI(comp, qs), q, 0.12);
    const plain = new ReductionPlan(q, { ...opts(0), qResolution: undefined });
    const G0 = new Float32Array(plain.r.length);
    plain.reduce(I, 0, new Float32Array(plain.q.length), new Float32Array(plain.q.length), G0, 0, 0);
    expect(Array.from(reduceG(I, 0).G)).toEqual(Array.from(G0));
    const full = reduceG(I, 0.12);
    const gappy = I.slice();
    for (const b of [100, 101, 102, 250]) gappy[b] = NaN;
    const withGaps = reduceG(gappy, 0.12);
    expect(withGaps.G.every(Number.isFinite)).toBe(true);
    expect(
      Math.abs(peakNear(withGaps.plan.r, withGaps.G, 2.72) - peakNear(full.plan.r, full.G, 2.72)),
    ).toBeLessThan(0.01);
  });

  it('the op takes qResolution (Å⁻¹, ≥ 0) and reports it in meta', async () => {
    const I = gaussianBlur((qs) => forwardI(comp, qs), q, 0.12);
    const iq: Value = {
      fields: { I: { dtype: 'float32', shape: [1, 400], data: Float32Array.from(I) } },
      axes: { q: { dtype: 'float32', shape: [400], data: Float32Array.from(q) } },
      meta: { axisOf: { I: 'q' } },
    };
    const out = await runFrame(
      pdfReduce,
      { composition: 'Zr65Cu17.5Ni10Al7.5', rmax: 12, qResolution: 0.12 },
      {},
      { iq },
      1,
    );
    expect(out.meta!.qResolution).toBe(0.12);
    const plan = new ReductionPlan(Float32Array.from(q), opts(0.12));
    const G = new Float32Array(plan.r.length);
    plan.reduce(
      Float32Array.from(I),
      0,
      new Float32Array(plan.q.length),
      new Float32Array(plan.q.length),
      G,
      0,
      0,
    );
    for (let j = 0; j < G.length; j += 50) expect(out.fields.G.data[j]).toBeCloseTo(G[j], 4);
    expect(() => params(pdfReduce, { composition: 'SiO2', qResolution: -0.1 }, 'pdf')).toThrow(
      /node 'pdf', param 'qResolution'/,
    );
  });
});
