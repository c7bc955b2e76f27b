/**
 * model.partials physics on models built in code: FCC Ni shells, random and L1₂-ordered binary
 * FCC alloys (pair fractions, α), the weighted sum of the partials against the model's total
 * electron G(r) computed pair by pair, the f_a f_b/⟨f⟩² scale decompose.assign uses, and the round
 * trip through decompose.assign.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { f32 } from '../../engine/ndarray.ts';
import type { DatasetContext, Value } from '../../engine/types.ts';
import { decomposeAssign } from '../../nodes/decompose/assign.ts';
import { pairHistogram } from '../../nodes/model/pair-histogram.ts';
import {
  modelComposition,
  modelPartials,
  radialDistribution,
  TAPER_FRACTION,
  type PartialsOptions,
} from '../../nodes/model/partials.ts';
import { modelPartialsOp } from '../../nodes/model/partials-op.ts';
import { toExtendedXyz, type AtomicStructure } from '../../nodes/model/structure-file.ts';
import { directSineTransform } from '../../nodes/pdf/sine-transform.ts';
import { formFactorCurve } from '../../nodes/pdf/formfactors.ts';
import { averageFormFactors } from '../../nodes/pdf/scattering.ts';
import { sroAlpha, warrenCowleyAlpha } from '../../nodes/qoi/sro-formulas.ts';
import { quasiBinaryFormFactors } from '../../sim/composition.ts';
import { fcc, fccPrimitive, prng, randomPacking } from './models.ts';

const A_NI = 3.524;
const NAMES = ['ZrZr', 'ZrX', 'XX'];
const opts = (over: Partial<PartialsOptions> = {}): PartialsOptions => ({
  names: NAMES,
  normalize: 'pairFraction',
  shellCut: null,
  qmin: 0.1,
  qmax: 8.1,
  window: 'none',
  qResolution: 0,
  formFactors: 'lobato',
  rmin: 1,
  rstep: 0.01,
  n: 601,
  ...over,
});

/** Coordination number between r0 and r1: ∫ 4πr²ρ₀ g(r) dr. */
function coordination(s: AtomicStructure, rcut: number, r0: number, r1: number): number {
  const h = pairHistogram(s, rcut, 0.002);
  const { r, g } = radialDistribution(h);
  const rho = h.n / h.volume;
  let N = 0;
  for (let j = 0; j < r.length; j++)
    if (r[j] >= r0 && r[j] < r1) N += 4 * Math.PI * r[j] ** 2 * rho * g[j] * h.dr;
  return N;
}

function peakOf(r: ArrayLike<number>, G: ArrayLike<number>, lo: number, hi: number): number {
  let b = -1;
  for (let j = 0; j < r.length; j++) if (r[j] >= lo && r[j] <= hi && (b < 0 || G[j] > G[b])) b = j;
  return r[b];
}

/** The data's Q grid (pdf.reduce band 0.1–8.1 Å⁻¹, the op's step). */
const Q = Float64Array.from({ length: 1601 }, (_, i) => 0.1 + i * 0.005);

/**
 * F(Q) of a model pair by pair, for a pair weight w symmetric in a, b (no histogram, no cell list; cubic cell, minimum image), trapezoid
 * end weights folded in: (1/N) Σ_{i≠j, d<rcut} w(a_i, a_j, Q) W(d) sin(Qd)/d − 4πρ₀ base(Q) ∫ r W(r) sin(Qr) dr,
 * W the op's taper over the last quarter of rcut.
 */
function directF(
  s: AtomicStructure,
  rcut: number,
  w: (a: number, b: number, k: number) => number,
  base: (k: number) => number,
): Float64Array {
  const nq = Q.length;
  const W = (r: number) => {
    const t = (r - rcut * (1 - TAPER_FRACTION)) / (rcut * TAPER_FRACTION);
    return t <= 0 ? 1 : t >= 1 ? 0 : Math.cos((Math.PI / 2) * t) ** 2;
  };
  const n = s.species.length;
  const L = s.cell[0];
  const F = new Float64Array(nq);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let a = 0; a < 3; a++) {
        let d = s.positions[3 * j + a] - s.positions[3 * i + a];
        d -= L * Math.round(d / L);
        d2 += d * d;
      }
      const d = Math.sqrt(d2);
      if (d >= rcut) continue;
      const amp = (2 * W(d)) / (n * d); // both orders (w is symmetric)
      const [a, b] = [s.species[i], s.species[j]];
      for (let k = 0; k < nq; k++) {
        const wk = w(a, b, k);
        if (wk !== 0) F[k] += amp * wk * Math.sin(Q[k] * d);
      }
    }
  const rho = n / L ** 3;
  const dr = 2e-3;
  for (let k = 0; k < nq; k++) {
    let s0 = 0;
    for (let r = dr / 2; r < rcut; r += dr) s0 += r * W(r) * Math.sin(Q[k] * r);
    F[k] -= 4 * Math.PI * rho * base(k) * s0 * dr;
    if (k === 0 || k === nq - 1) F[k] *= 0.5;
  }
  return F;
}

describe('model partials: FCC Ni', () => {
  const ni = fcc(A_NI, 6, () => 'Ni', 0.04, 5);

  it('g(r): 12 neighbours in the first shell, 6 in the second at a; G(r) peaks at a/√2 = 2.49 Å', () => {
    expect(coordination(ni, 8.5, 0, 3.0)).toBeCloseTo(12, 4);
    expect(coordination(ni, 8.5, 3.0, 3.9)).toBeCloseTo(6, 4);
    expect(coordination(ni, 8.5, 3.9, 4.6)).toBeCloseTo(24, 4); // third shell, a·√(3/2) = 4.32 Å
    const h = pairHistogram(ni, 8.5, 0.002);
    // wide band, Lorch: the shell itself; at the data's band (qmax 8.1) the termination ripples of the
    // neighbouring shells move the maximum by +0.02 Å (−0.03 Å with Lorch), as they do in the data
    const wide = modelPartials(
      h,
      ['Ni'],
      opts({ names: ['NiNi'], qmax: 30, window: 'lorch', rmin: 2, rstep: 0.001, n: 1001 }),
    );
    expect(peakOf(wide.r, wide.curves.NiNi, 2.2, 2.8)).toBeCloseTo(A_NI / Math.SQRT2, 2);
    const band = modelPartials(h, ['Ni'], opts({ names: ['NiNi'], rmin: 2, rstep: 0.001, n: 1001 }));
    expect(Math.abs(peakOf(band.r, band.curves.NiNi, 2.2, 2.8) - A_NI / Math.SQRT2)).toBeLessThan(0.03);
    expect(band.meanCoordination).toBeCloseTo(12, 9);
    expect(band.shellCut).toBeGreaterThan(2.6);
    expect(band.shellCut).toBeLessThan(3.4);
    expect(band.numberDensity).toBeCloseTo(4 / A_NI ** 3, 9);
  });

  it("any cell shape: the triclinic primitive cell (60°) gives the cubic cell's shells; periodic images beyond the minimum image count", () => {
    const cubic = pairHistogram(
      fcc(A_NI, 5, () => 'Ni'),
      8,
      0.002,
    );
    const tri = pairHistogram(fccPrimitive(A_NI, 10), 8, 0.002);
    const one = pairHistogram(fccPrimitive(A_NI, 1), 8, 0.002); // one atom: every neighbour is an image
    const cum = (h: typeof cubic, r: number) => {
      let s = 0;
      for (let j = 0; j < Math.round(r / h.dr); j++) s += h.counts[j];
      return s / h.n;
    };
    for (const r of [3.0, 3.9, 4.6, 5.3, 5.9, 6.6, 7.2, 7.8]) {
      expect(cum(tri, r)).toBe(cum(cubic, r));
      expect(cum(one, r)).toBe(cum(cubic, r));
    }
    expect(cum(cubic, 3.9)).toBe(18);
  });

  it('Q resolution: the blurred partial is the partial damped by exp(−σ²r²/2), up to the band edges', () => {
    const h = pairHistogram(ni, 8.5, 0.002);
    const sigma = 0.14;
    const plain = modelPartials(h, ['Ni'], opts({ names: ['NiNi'] }));
    const blur = modelPartials(h, ['Ni'], opts({ names: ['NiNi'], qResolution: sigma }));
    const j = plain.r.findIndex((x) => x >= 2.49);
    const damped = plain.curves.NiNi[j] * Math.exp(-0.5 * (sigma * plain.r[j]) ** 2);
    expect(Math.abs(blur.curves.NiNi[j] - damped) / plain.curves.NiNi[j]).toBeLessThan(0.04); // 3.1 %
    expect(blur.curves.NiNi[j]).toBeLessThan(0.95 * plain.curves.NiNi[j]);
  });
});

describe('model partials: binary alloys, pair fractions and α', () => {
  it('random Zr/Cu on FCC sites: coordination numbers follow the composition, α_WC ≈ 0 (SCIENCE.md α = |1 − 2c| for random mixing)', () => {
    const c = 0.35;
    const rand = prng(11);
    const s = fcc(A_NI, 10, () => (rand() < c ? 'Zr' : 'Cu'), 0.05, 2);
    const h = pairHistogram(s, 8, 0.002);
    const m = modelPartials(h, s.elements, opts());
    const cz = m.composition.Zr;
    expect(Math.abs(cz - c)).toBeLessThan(0.02);
    expect(m.coordination.ZrZr / 12).toBeCloseTo(cz, 1);
    expect(m.coordination.ZrX / 12).toBeCloseTo(1 - cz, 1);
    expect(m.coordination.XX / 12).toBeCloseTo(1 - cz, 1);
    expect(m.coordination.ZrZr + m.coordination.ZrX).toBeCloseTo(12, 9);
    const P = NAMES.map((nm) => m.pairFractions[nm]);
    expect(P[0]).toBeCloseTo(cz * cz, 2);
    expect(P[1]).toBeCloseTo(2 * cz * (1 - cz), 2);
    expect(Math.abs(warrenCowleyAlpha(P[0], P[1], P[2]))).toBeLessThan(0.03);
    // SCIENCE.md's α compares P_ZrX with min(c, 1 − c), not with 2c(1 − c): random mixing sits at |1 − 2c|
    expect(sroAlpha(P[0], P[1], P[2])).toBeCloseTo(Math.abs(1 - 2 * cz), 1);
    // random mixing: per unit pair fraction ≈ per unit c_a c_b
    const fz = modelPartials(h, s.elements, opts({ normalize: 'composition' }));
    const j = m.r.findIndex((x) => x >= 2.49);
    for (const nm of NAMES) expect(m.curves[nm][j] / fz.curves[nm][j]).toBeCloseTo(1, 1);
  });

  it('ordered L1₂ (Zr on the cube corners, Cu on the faces): no Zr–Zr bonds, α = 1 (SCIENCE.md, qoi.sro)', () => {
    const s = fcc(A_NI, 5, (_, basis) => (basis === 0 ? 'Zr' : 'Cu'), 0.03, 3);
    const h = pairHistogram(s, 8, 0.002);
    const m = modelPartials(h, s.elements, opts({ normalize: 'composition' }));
    expect(m.coordination).toMatchObject({ ZrZr: 0, ZrX: 12, XZr: 4, XX: 8 });
    const P = NAMES.map((nm) => m.pairFractions[nm]);
    expect(P).toEqual([0, 0.5, 0.5]);
    expect(sroAlpha(P[0], P[1], P[2])).toBe(1);
    // per unit pair fraction there is no Zr–Zr curve: a clear error, not a division by zero
    expect(() => modelPartials(h, s.elements, opts())).toThrow(
      /no ZrZr pairs within its first shell.*normalize "composition"/,
    );
  });

  it("Σ_t P_t G_t is the model's electron G(r), computed here pair by pair with each atom's form factor", () => {
    const rand = prng(7);
    const s = fcc(A_NI, 3, () => ['Zr', 'Zr', 'Cu', 'Al'][Math.floor(rand() * 4)], 0.12, 4);
    const rcut = 5.2;
    const o = opts({ rmin: 1.5, rstep: 0.02, n: 121 });
    const m = modelPartials(pairHistogram(s, rcut, 0.002), s.elements, o);
    expect(m.members.ZrZr).toEqual(['ZrZr']);
    expect(m.members.ZrX.sort()).toEqual(['ZrAl', 'ZrCu']);
    expect(m.members.XX.length).toBe(3);
    // direct: F(Q) = (1/N) Σ_{i≠j} f_i f_j/⟨f⟩² W(d) sin(Qd)/d − 4πρ₀ ∫ r W(r) sin(Qr) dr, minimum image
    const comp = modelComposition(pairHistogram(s, 1, 0.1), s.elements);
    const { meanSq } = averageFormFactors(comp, Q, 'lobato');
    const f = s.elements.map((el) => formFactorCurve(el, Q));
    const F = directF(
      s,
      rcut,
      (a, b, k) => (f[a][k] * f[b][k]) / meanSq[k],
      () => 1,
    );
    const direct = directSineTransform(Q, F, 0.005, m.r);
    const sum = m.r.map((_, j) => NAMES.reduce((t, nm) => t + m.pairFractions[nm] * m.curves[nm][j], 0));
    const scale = Math.max(...direct.map(Math.abs));
    let worst = 0;
    for (let j = 0; j < m.r.length; j++) worst = Math.max(worst, Math.abs(sum[j] - direct[j]));
    expect(worst / scale).toBeLessThan(1e-3); // 1.5e-4
    expect(scale).toBeGreaterThan(1);
  });

  it("the simulator's convention (sim/references.ts): G_ZrX = (2/π)∫ Q·f_Zr f_X/⟨f⟩²·(S_ZrX − 1) sin(Qr) dQ with its quasi-binary form factors; per unit pair fraction = that × C/P", () => {
    const rand = prng(23);
    const s = fcc(A_NI, 3, () => (rand() < 0.6 ? 'Zr' : 'Cu'), 0.12, 6);
    const rcut = 5.2;
    const h = pairHistogram(s, rcut, 0.002);
    const o = opts({ rmin: 1.5, rstep: 0.02, n: 121 });
    const fz = modelPartials(h, s.elements, { ...o, normalize: 'composition' });
    const pf = modelPartials(h, s.elements, o);
    // the Faber–Ziman Zr–X partial Q(S_ZrX − 1) pair by pair, weighted by the simulator's own form factors
    const c = Object.fromEntries(
      s.elements.map((el, a) => [el, s.species.filter((t) => t === a).length / s.species.length]),
    );
    const cZr = c.Zr;
    const mix = Object.fromEntries(
      Object.entries(c)
        .filter(([el]) => el !== 'Zr')
        .map(([el, x]) => [el, x / (1 - cZr)]),
    );
    const { fZr, fX } = quasiBinaryFormFactors(Q, mix);
    const wZrX = (k: number) => (fZr[k] * fX[k]) / (cZr * fZr[k] + (1 - cZr) * fX[k]) ** 2;
    const zr = s.elements.indexOf('Zr');
    // ordered Zr–X pairs, both orders, per unit 2 c_Zr c_X: Q (S_ZrX − 1) in Faber–Ziman's normalisation
    const F = directF(
      s,
      rcut,
      (a, b, k) => ((a === zr) !== (b === zr) ? wZrX(k) / (2 * cZr * (1 - cZr)) : 0),
      wZrX,
    );
    const sim = directSineTransform(Q, F, 0.005, fz.r);
    const peak = Math.max(...sim.map(Math.abs));
    let worst = 0;
    for (let j = 0; j < sim.length; j++) worst = Math.max(worst, Math.abs(fz.curves.ZrX[j] - sim[j]));
    expect(worst / peak).toBeLessThan(1e-3); // 1.2e-4: histogram bins vs exact distances
    // (with X a mix, the op weights each element pair by its own f_a f_b where the simulator takes the mean f_X
    // of the nominal mix: the same in expectation, exact for the model — the sum test above)
    // per unit first-shell pair fraction: the same curve scaled by C_t/P_t, Z̄ neighbours in its first shell
    const C = 2 * cZr * (1 - cZr);
    const j = fz.r.findIndex((x) => x >= 2.49);
    expect(pf.curves.ZrX[j] / fz.curves.ZrX[j]).toBeCloseTo(C / pf.pairFractions.ZrX, 9);
  });
});

const whole = (value: Value) => ({ scope: 'dataset' as const, value });

describe('model.partials → decompose.assign', () => {
  it('curves mixed by known pair fractions come back as those fractions; the model itself gives its own P and α', async () => {
    const s = randomPacking(1200, 34, 0.5, 3);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-model-'));
    const file = path.join(dir, 'glass.xyz');
    fs.writeFileSync(file, toExtendedXyz(s));
    const params = {
      file,
      format: 'auto',
      cell: null,
      typeMap: null,
      element: 'Zr',
      pairs: null,
      normalize: 'pairFraction',
      shellCut: null,
      rcut: 'auto',
      qmin: 0.1,
      qmax: 8.1,
      window: 'none',
      qResolution: 0,
      formFactors: 'lobato',
      rmin: 1,
      rmax: 8,
      rstep: 0.01,
    };
    const ctx = (p: object, inputs: object, ny = 1, nx = 1) =>
      ({
        node: 'n',
        params: p,
        inputs,
        scan: { ny, nx },
        dataset: null,
        log: () => {},
        workers: 1,
      }) as unknown as DatasetContext<never>;
    const refs = await modelPartialsOp.run!(ctx(params, {}));
    expect(Object.keys(refs.fields)).toEqual(NAMES);
    const meta = refs.meta as Record<string, any>;
    expect(meta.atoms).toBe(1200);
    expect(meta.rcut).toBe(17);
    expect(meta.shellCut).toBeGreaterThan(3.5);
    const r = refs.axes!.r.data as Float64Array;
    const nr = r.length;
    // components = the references themselves (+ an offset), weights = pair fractions per position
    const ny = 3,
      nx = 4,
      k = 4;
    const rand = prng(5);
    const P = Array.from({ length: ny * nx }, () => {
      const v = [0.1 + rand(), 0.1 + rand(), 0.1 + rand()];
      const t = v[0] + v[1] + v[2];
      return v.map((x) => x / t);
    });
    P[0] = NAMES.map((nm) => meta.pairFractions[nm]);
    const comps = f32([k, nr]);
    comps.data.fill(1, 0, nr);
    NAMES.forEach((nm, t) => {
      comps.data.set(
        Float32Array.from(refs.fields[nm].data, (v) => v + 0.5),
        (t + 1) * nr,
      );
    });
    const W = f32([ny, nx, k]);
    P.forEach((p, i) => {
      W.data.set([2, ...p], i * k);
    });
    const nmf = whole({
      fields: { components: comps, weights: W },
      axes: { r: f32([nr], r) },
      meta: { axisOf: { components: 'r' }, physical: [1, 2, 3] },
    });
    const assign = {
      firstShell: {},
      range: [1.8, 6],
      physical: 'auto',
      mode: 'unmix',
      composition: null,
      formFactors: 'lobato',
      weightQ: 'auto',
      qmin: 0.1,
      qmax: 8.1,
      baseline: 'linear',
      referencesWeighted: true,
    };
    const out = await decomposeAssign.run!(ctx(assign, { nmf, references: whole(refs) }, ny, nx));
    let worst = 0;
    P.forEach((p, i) => {
      NAMES.forEach((nm, t) => {
        worst = Math.max(worst, Math.abs(out.fields[nm].data[i] - 100 * p[t]));
      });
    });
    expect(worst).toBeLessThan(0.05); // percentage points
    expect(sroAlpha(out.fields.ZrZr.data[0], out.fields.ZrX.data[0], out.fields.XX.data[0])).toBeCloseTo(
      meta.alpha,
      3,
    );
  });
});
