/**
 * decompose.assign turns NMF weights into pair fractions: synthetic G(r) stacks built from known
 * per-neighbour partials × known pair fractions × the form-factor weights f_a f_b/⟨f⟩² must give the
 * fractions back — through hand-made NMF factors (pure and mixed components) and through the real
 * decompose.nmf op. Any slip in the normalisation (raw weights, no scale, no weight division)
 * fails these.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { f32 } from '../../engine/ndarray.ts';
import type { DatasetContext, Value } from '../../engine/types.ts';
import { decomposeAssign } from '../../nodes/decompose/assign.ts';
import { decomposeNmf } from '../../nodes/decompose/nmf.ts';
import { decomposeReferences } from '../../nodes/decompose/references-op.ts';
import {
  DEFAULT_FIRST_SHELL,
  bandLimit,
  bandLimitedShellCurve,
  shellCurve,
} from '../../nodes/decompose/references.ts';
import { pairFractionsAt, referenceCoefficients } from '../../nodes/decompose/unmix.ts';
import { parseComposition } from '../../nodes/pdf/composition.ts';
import { formFactorCurve } from '../../nodes/pdf/formfactors.ts';
import { formFactorWeights } from '../../nodes/decompose/pair-weights.ts';
import { rng } from './rng.ts';

const COMPOSITION = 'Zr65Cu17.5Ni10Al7.5';
const NAMES = ['ZrZr', 'ZrX', 'XX'] as const;
const Z = 13; // mean coordination: the common factor of every partial
const whole = (value: Value) => ({ scope: 'dataset' as const, value });
const ctx = (params: object, inputs: object, ny: number, nx: number) =>
  ({
    node: 'bonds',
    params,
    inputs,
    scan: { ny, nx },
    dataset: null,
    log: () => {},
    workers: 1,
  }) as unknown as DatasetContext<never>;
const params = (over: object = {}) => ({
  firstShell: DEFAULT_FIRST_SHELL,
  range: [2.0, 4.0],
  physical: 'auto',
  mode: 'unmix',
  composition: COMPOSITION,
  formFactors: 'lobato',
  weightQ: 'auto',
  qmin: 0.1,
  qmax: 8.1,
  ...over,
});

/** f_a f_b/⟨f⟩² for ZrZr, ZrX, XX (Q-averaged over the transform band). */
function weights(): number[] {
  return formFactorWeights([...NAMES], parseComposition(COMPOSITION), 'lobato', null, 0.1, 8.1);
}

/** A glass-like set of pair fractions: P_ZrX = (1 + α)·min(c, 1 − c), the rest from c. */
function fractions(m: number, seed: number): Float64Array {
  const g = rng(seed);
  const P = new Float64Array(m * 3);
  for (let i = 0; i < m; i++) {
    const c = 0.45 + 0.2 * g.uniform();
    const a = -0.2 + 0.4 * g.uniform();
    const zrx = (1 + a) * Math.min(c, 1 - c);
    P.set([c - zrx / 2, zrx, 1 - c - zrx / 2], i * 3);
  }
  return P;
}

function axis(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, j) => 1.8 + j * 0.01);
}

describe('decompose.assign: NMF weights → pair fractions', () => {
  it('pair weights by hand at one Q, and Zr–Zr > Zr–X > X–X over the band (Zr scatters most)', () => {
    const q = [3];
    const f = Object.fromEntries(['Zr', 'Cu', 'Ni', 'Al'].map((el) => [el, formFactorCurve(el, q)[0]]));
    const fX = (17.5 * f.Cu + 10 * f.Ni + 7.5 * f.Al) / 35;
    const mean = 0.65 * f.Zr + 0.35 * fX;
    const at3 = formFactorWeights([...NAMES], parseComposition(COMPOSITION), 'lobato', 3, 0, 0);
    expect(at3[0]).toBeCloseTo((f.Zr * f.Zr) / mean ** 2, 10);
    expect(at3[1]).toBeCloseTo((f.Zr * fX) / mean ** 2, 10);
    expect(at3[2]).toBeCloseTo((fX * fX) / mean ** 2, 10);
    // a named element that the composition lacks is an error, and so are names that are not pairs
    expect(() => formFactorWeights(['FeFe'], parseComposition(COMPOSITION), 'lobato', 3, 0, 0)).toThrow(
      /no Fe/,
    );
    expect(() => formFactorWeights(['bond'], parseComposition(COMPOSITION), 'lobato', 3, 0, 0)).toThrow(
      /not a pair/,
    );
    const [zz, zx, xx] = weights();
    expect(zz).toBeGreaterThan(zx);
    expect(zx).toBeGreaterThan(xx);
    // f_Zr f_X / ⟨f⟩² vs sqrt(f_Zr²/⟨f⟩² · f_X²/⟨f⟩²): equal at each Q, close after Q-averaging
    expect(Math.abs(zx / Math.sqrt(zz * xx) - 1)).toBeLessThan(0.05);
  });

  it('pure components in arbitrary scale, shifted, background separate: fractions come back (both modes)', async () => {
    const n = 621;
    const r = axis(n);
    const w = weights();
    // the built-in references as the data's G(r) shows them (transform band 0.1–8.1 Å⁻¹)
    const refs = NAMES.map((nm) => bandLimitedShellCurve(DEFAULT_FIRST_SHELL[nm], r, 0.1, 8.1));
    const ny = 4,
      nx = 5,
      m = ny * nx,
      k = 4;
    const P = fractions(m, 3);
    // components: 0 = flat background, 1..3 = partials XX, ZrZr, ZrX (shuffled) each × weight, scaled to max 1, + a constant
    const order = [2, 0, 1];
    const comps = f32([k, n]);
    const scale = new Float64Array(k).fill(1);
    comps.data.fill(1, 0, n);
    order.forEach((j, u) => {
      const t = u + 1;
      let mx = 0;
      for (let i = 0; i < n; i++) mx = Math.max(mx, Z * w[j] * refs[j][i]);
      scale[t] = mx;
      for (let i = 0; i < n; i++) comps.data[t * n + i] = (Z * w[j] * refs[j][i]) / mx + 0.3 * u;
    });
    const W = f32([ny, nx, k]);
    for (let p = 0; p < m; p++) {
      W.data[p * k] = 2.5; // the shift
      order.forEach((j, u) => {
        W.data[p * k + u + 1] = P[p * 3 + j] * scale[u + 1];
      });
    }
    const nmf = whole({
      fields: { components: comps, weights: W },
      axes: { r: f32([n], r) },
      meta: { axisOf: { components: 'r' }, physical: [1, 2, 3] },
    });
    for (const mode of ['unmix', 'scale']) {
      const out = await decomposeAssign.run!(ctx(params({ mode }), { nmf }, ny, nx));
      const a = out.meta!.assignment as Record<string, { component: number }>;
      expect(a.XX.component).toBe(1);
      expect(a.ZrZr.component).toBe(2);
      expect(a.ZrX.component).toBe(3);
      for (let p = 0; p < m; p++)
        NAMES.forEach((nm, j) => {
          expect(out.fields[nm].data[p]).toBeCloseTo(100 * P[p * 3 + j], 3);
        });
    }
    // without the form-factor division the same stack gives the weighted shares, not the fractions
    const raw = await decomposeAssign.run!(ctx(params({ composition: null }), { nmf }, ny, nx));
    let worst = 0;
    for (let p = 0; p < m; p++) worst = Math.max(worst, Math.abs(raw.fields.ZrZr.data[p] - 100 * P[p * 3]));
    expect(worst).toBeGreaterThan(5);
  });

  it("band limit: a slowly varying curve comes back, a sharp shell is broadened to the band's resolution π/qmax with its area kept", () => {
    const dr = 0.005;
    const rf = Float64Array.from({ length: 3000 }, (_, j) => (j + 1) * dr);
    const x = Float64Array.from({ length: 301 }, (_, j) => 1.5 + j * 0.01);
    const sharp = shellCurve(2.85, rf, 0.03);
    const bl = bandLimit(rf, sharp, x, 0.1, 8.1);
    const raw = shellCurve(2.85, x, 0.03);
    const peak = (c: ArrayLike<number>) => Math.max(...Array.from(c));
    expect(peak(bl)).toBeLessThan(0.35 * peak(raw)); // a 0.03 Å shell seen at 0.39 Å resolution
    // the main lobe (±π/qmax) of a band-limited delta holds (2/π)·Si(π) = 1.179 of its area (×r: one neighbour)
    let a = 0;
    for (let j = 0; j < x.length; j++) if (Math.abs(x[j] - 2.85) < Math.PI / 8.1) a += bl[j] * x[j] * 0.01;
    expect(Math.abs(a - 1.179)).toBeLessThan(0.05);
    // a band-limited curve is its own band limit
    const wide = Float64Array.from(rf, (r) => Math.exp(-((r - 3) ** 2) / (2 * 0.5 ** 2)));
    const once = bandLimit(rf, wide, rf, 0.1, 8.1);
    const twice = bandLimit(rf, once, x, 0.1, 8.1);
    const onceX = bandLimit(rf, wide, x, 0.1, 8.1);
    for (let j = 0; j < x.length; j++) expect(twice[j]).toBeCloseTo(onceX[j], 2);
  });

  it('mixed components (each holds some of every partial): unmix recovers the fractions, the one-to-one scale does not', () => {
    const n = 400;
    const r = axis(n);
    const w = weights();
    const refs = NAMES.map((nm) => shellCurve(DEFAULT_FIRST_SHELL[nm], r));
    const mix = [
      [0.7, 0.2, 0.1],
      [0.1, 0.8, 0.3],
      [0.2, 0.1, 0.6],
    ];
    const k = 3;
    const H = new Float64Array(k * n);
    for (let t = 0; t < k; t++)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < 3; j++) H[t * n + i] += mix[t][j] * Z * w[j] * refs[j][i];
    const M = referenceCoefficients(H, n, k, 0, n, refs);
    for (let t = 0; t < k; t++)
      for (let j = 0; j < 3; j++) expect(M[t][j]).toBeCloseTo(mix[t][j] * Z * w[j], 6);
    // weights that give P: Σ_t W_t mix[t][j] = P_j
    const P = [0.4, 0.4, 0.2];
    const inv = invert3(mix);
    const W = [0, 1, 2].map((t) => P.reduce((s, pj, j) => s + pj * inv[j][t], 0));
    const out = pairFractionsAt(W, M, w, null, new Float64Array(3));
    P.forEach((pj, j) => {
      expect(out[j]).toBeCloseTo(100 * pj, 6);
    });
    const one = pairFractionsAt(W, M, w, [0, 1, 2], new Float64Array(3));
    expect(Math.abs(one[0] - 40)).toBeGreaterThan(2);
  });

  it('through decompose.nmf: a shifted, noisy stack of weighted partials gives the fractions back', async () => {
    const ny = 12,
      nx = 15,
      m = ny * nx;
    const r = axis(621);
    const n = r.length;
    const w = weights();
    // partials with different widths than the built-in references (a real glass is not FCC)
    const partial = NAMES.map((nm, j) => {
      const d = DEFAULT_FIRST_SHELL[nm];
      const s = [0.22, 0.14, 0.12][j];
      return Float64Array.from(
        r,
        (x) =>
          (Math.exp(-((x - d) ** 2) / (2 * s * s)) / (s * Math.sqrt(2 * Math.PI)) -
            0.3 * Math.exp(-((x - 1.5 * d) ** 2) / (2 * 0.7 ** 2))) /
          x,
      );
    });
    const P = fractions(m, 11);
    const g = rng(5);
    const G = f32([m, n]);
    for (let p = 0; p < m; p++)
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let j = 0; j < 3; j++) v += Z * P[p * 3 + j] * w[j] * partial[j][i];
        G.data[p * n + i] = v + 0.002 * g.normal();
      }
    const rAxis = f32([n], r);
    const nmfCtx = {
      node: 'nmf',
      scan: { ny, nx },
      dataset: null,
      log: () => {},
      workers: 1,
      params: {
        components: 4,
        shift: 'auto',
        maxIter: 400,
        tol: 0,
        seed: 0,
        range: null,
        physical: 'auto',
        field: null,
      },
      inputs: {
        curves: {
          scope: 'dataset',
          value: { fields: { G }, axes: { r: rAxis }, meta: { axisOf: { G: 'r' } } },
        },
      },
    } as unknown as DatasetContext<never>;
    const nmf = await decomposeNmf.run!(nmfCtx);
    // references: the true per-neighbour partials, as a structure model would give them
    const refs = f32([3, n]);
    partial.forEach((c, j) => {
      refs.data.set(c, j * n);
    });
    const references = whole({
      fields: Object.fromEntries(NAMES.map((nm, j) => [nm, f32([n], partial[j])])),
      axes: { r: rAxis },
    });
    const out = await decomposeAssign.run!(
      ctx(params({ range: [1.8, 6.0] }), { nmf: whole(nmf), references }, ny, nx),
    );
    let worst = 0;
    for (let p = 0; p < m; p++)
      NAMES.forEach((nm, j) => {
        worst = Math.max(worst, Math.abs(out.fields[nm].data[p] - 100 * P[p * 3 + j]));
      });
    expect(worst).toBeLessThan(1); // percentage points
  });
});

describe('decompose.assign: weighted references and a linear baseline', () => {
  // pure components that are weighted partials + a ramp a + b·r (a smooth F(Q) error as the window sees it)
  async function run(over: object, ramp: number) {
    const n = 221;
    const r = Float64Array.from({ length: n }, (_, j) => 1.9 + j * 0.01);
    const w = weights();
    const partial = NAMES.map((nm, j) =>
      Float64Array.from(
        r,
        (x) => Math.exp(-((x - DEFAULT_FIRST_SHELL[nm]) ** 2) / (2 * [0.22, 0.14, 0.12][j] ** 2)) / x,
      ),
    );
    const weighted = partial.map((c, j) => Float64Array.from(c, (v) => Z * w[j] * v));
    const ny = 3,
      nx = 4,
      m = ny * nx,
      k = 4;
    const P = fractions(m, 21);
    const comps = f32([k, n]);
    comps.data.fill(1, 0, n);
    for (let t = 1; t < k; t++)
      for (let i = 0; i < n; i++) comps.data[t * n + i] = weighted[t - 1][i] + ramp * t * (r[i] - 2.5) + 0.2;
    const W = f32([ny, nx, k]);
    for (let p = 0; p < m; p++) {
      W.data[p * k] = 1.5;
      for (let t = 1; t < k; t++) W.data[p * k + t] = P[p * 3 + t - 1];
    }
    const nmf = whole({
      fields: { components: comps, weights: W },
      axes: { r: f32([n], r) },
      meta: { axisOf: { components: 'r' }, physical: [1, 2, 3] },
    });
    const references = whole({
      fields: Object.fromEntries(NAMES.map((nm, j) => [nm, f32([n], weighted[j])])),
      axes: { r: f32([n], r) },
    });
    const out = await decomposeAssign.run!(
      ctx(params({ range: [2.0, 4.0], ...over }), { nmf, references }, ny, nx),
    );
    let worst = 0;
    for (let p = 0; p < m; p++)
      NAMES.forEach((nm, j) => {
        worst = Math.max(worst, Math.abs(out.fields[nm].data[p] - 100 * P[p * 3 + j]));
      });
    return { worst, meta: out.meta! };
  }

  it('referencesWeighted: references that already carry f_a f_b/⟨f⟩² are not divided by it again', async () => {
    const ok = await run({ referencesWeighted: true }, 0);
    expect(ok.worst).toBeLessThan(1e-3);
    expect(String(ok.meta.pairWeights)).toMatch(/carried by the references/);
    // dividing again (the flag off) skews the fractions towards X–X
    expect((await run({ referencesWeighted: false }, 0)).worst).toBeGreaterThan(5);
  });

  it('baseline linear: a ramp under every component leaves the fractions alone; a constant alone does not absorb it', async () => {
    const lin = await run({ referencesWeighted: true, baseline: 'linear' }, 0.05);
    expect(lin.worst).toBeLessThan(1e-3);
    expect(lin.meta.baseline).toBe('linear');
    expect((await run({ referencesWeighted: true, baseline: 'constant' }, 0.05)).worst).toBeGreaterThan(1);
  });
});

describe('decompose.references', () => {
  it('turns inline curves into fields on an r axis that decompose.assign reads', async () => {
    const p = { rmin: 1, rstep: 0.5, curves: { ZrZr: [1, 2, 3], XX: [4, 5, 6] }, file: null, unit: 'Å⁻²' };
    const v = await decomposeReferences.run!(ctx(p, {}, 1, 1));
    expect(Array.from(v.fields.ZrZr.data)).toEqual([1, 2, 3]);
    expect(Array.from(v.fields.XX.data)).toEqual([4, 5, 6]);
    expect(Array.from(v.axes!.r.data)).toEqual([1, 1.5, 2]);
    expect(() =>
      decomposeReferences.check!(
        { ...p, curves: { ZrZr: [1, 2, 3], XX: [4, 5] } },
        { node: 'refs', dataset: null },
      ),
    ).toThrow(/has 2 samples/);
    expect(() =>
      decomposeReferences.check!({ ...p, curves: [] as never }, { node: 'refs', dataset: null }),
    ).toThrow(/no curves/);
    expect(() =>
      decomposeReferences.check!(
        { ...p, curves: { ZrZr: [1, 'a'] } as never },
        { node: 'refs', dataset: null },
      ),
    ).toThrow(/finite numbers/);
    expect(() => decomposeReferences.check!({ ...p, rstep: null }, { node: 'refs', dataset: null })).toThrow(
      /param 'rstep': needed with inline curves/,
    );
    expect(() =>
      decomposeReferences.check!({ ...p, file: 'x.csv' }, { node: 'refs', dataset: null }),
    ).toThrow(/either inline `curves`.*or a `file`/);
  });

  it('reads a table file (header names the curves) and names file and row when it is malformed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-refs-'));
    const file = path.join(dir, 'partials.csv');
    fs.writeFileSync(file, '# from an MD model\nr\tZrZr\tZrX\n1.0\t0.5\t-1\n1.5\t0.25\t2\n2.0\t0\t3.5\n');
    const p = { rmin: null, rstep: null, curves: null, file, unit: 'Å⁻²' };
    const v = await decomposeReferences.run!(ctx(p, {}, 1, 1));
    expect(Object.keys(v.fields)).toEqual(['ZrZr', 'ZrX']);
    expect(Array.from(v.fields.ZrX.data)).toEqual([-1, 2, 3.5]);
    expect(Array.from(v.axes!.r.data)).toEqual([1, 1.5, 2]);
    fs.writeFileSync(file, 'r,ZrZr\n1,0.5\n1.5,oops\n');
    await expect(async () => decomposeReferences.run!(ctx(p, {}, 1, 1))).rejects.toThrow(
      /param 'file'.*partials\.csv.*row 3: expected 2 numbers \(r, ZrZr\)/,
    );
    fs.writeFileSync(file, '1,0.5\n1.5,0.2\n');
    await expect(async () => decomposeReferences.run!(ctx(p, {}, 1, 1))).rejects.toThrow(
      /expected a header line naming the columns/,
    );
    fs.writeFileSync(file, 'r,ZrZr\n1,0.5\n1,0.2\n');
    await expect(async () => decomposeReferences.run!(ctx(p, {}, 1, 1))).rejects.toThrow(
      /row 3: r must increase/,
    );
    await expect(async () =>
      decomposeReferences.run!(ctx({ ...p, file: path.join(dir, 'none.csv') }, {}, 1, 1)),
    ).rejects.toThrow(/param 'file': no such file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

function invert3(a: number[][]): number[][] {
  const [[a0, a1, a2], [b0, b1, b2], [c0, c1, c2]] = a;
  const det = a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0);
  return [
    [(b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det, (a1 * b2 - a2 * b1) / det],
    [(b2 * c0 - b0 * c2) / det, (a0 * c2 - a2 * c0) / det, (a2 * b0 - a0 * b2) / det],
    [(b0 * c1 - b1 * c0) / det, (a1 * c0 - a0 * c1) / det, (a0 * b1 - a1 * b0) / det],
  ];
}
