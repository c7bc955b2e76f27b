import { describe, expect, it } from 'vitest';
import { f32 } from '../../engine/ndarray.ts';
import type { DatasetContext, Value } from '../../engine/types.ts';
import { decomposeAssign } from '../../nodes/decompose/assign.ts';
import { bandLimitedShellCurve, bestAssignment } from '../../nodes/decompose/references.ts';
import { bilinear, mapCut } from '../../nodes/map/cut.ts';
import { pearson } from '../../nodes/map/pearson-core.ts';
import { mapPearson } from '../../nodes/map/pearson.ts';
import { thresholdMask } from '../../nodes/map/threshold.ts';
import { sroAlpha, warrenCowleyAlpha } from '../../nodes/qoi/sro-formulas.ts';

const whole = (value: Value) => ({ scope: 'dataset' as const, value });
const ctx = (params: object, inputs: object, ny: number, nx: number, meta: object = {}) =>
  ({
    node: 'n',
    params,
    inputs,
    scan: { ny, nx },
    dataset: { meta },
    log: () => {},
    workers: 1,
  }) as unknown as DatasetContext<never>;

describe('Pearson', () => {
  it('self = 1, negation = −1, shift/scale invariant', () => {
    const a = Array.from({ length: 50 }, (_, i) => Math.sin(i / 3) + i / 40);
    expect(pearson(a, a)).toBeCloseTo(1, 12);
    expect(
      pearson(
        a,
        a.map((v) => -v),
      ),
    ).toBeCloseTo(-1, 12);
    expect(
      pearson(
        a,
        a.map((v) => 3 * v + 7),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      Number.isNaN(
        pearson(
          a,
          a.map(() => 2),
        ),
      ),
    ).toBe(true);
  });

  it('map.pearson against a position and a region; masked positions NaN', async () => {
    const ny = 2,
      nx = 3,
      n = 20;
    const G = f32([ny * nx, n]);
    const base = Array.from({ length: n }, (_, j) => Math.sin(j / 2));
    for (let p = 0; p < ny * nx; p++)
      for (let j = 0; j < n; j++) G.data[p * n + j] = (p % 2 ? -1 : 1) * base[j] * (p + 1);
    const r = f32(
      [n],
      Array.from({ length: n }, (_, j) => j * 0.1),
    );
    const curves = whole({ fields: { G }, axes: { r }, meta: { axisOf: { G: 'r' } } });
    const mask = whole({
      fields: { mask: { dtype: 'uint8', shape: [ny, nx], data: Uint8Array.from([1, 1, 1, 1, 1, 0]) } },
    });
    const out = await mapPearson.run!(
      ctx({ range: null, at: [0, 0], field: null }, { curves, mask }, ny, nx),
    );
    expect(Array.from(out.fields.r.data.slice(0, 5)).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([
      1, -1, 1, -1, 1,
    ]);
    expect(Number.isNaN(out.fields.r.data[5])).toBe(true);
    const region = whole({
      fields: { m: { dtype: 'uint8', shape: [ny, nx], data: Uint8Array.from([0, 1, 0, 0, 0, 0]) } },
    });
    const out2 = await mapPearson.run!(
      ctx({ range: null, at: null, field: null }, { curves, region }, ny, nx),
    );
    expect(out2.fields.r.data[1]).toBeCloseTo(1, 9);
    expect(out2.fields.r.data[0]).toBeCloseTo(-1, 9);
  });
});

describe('map.threshold and map.cut', () => {
  it('threshold: 1 = kept, NaN excluded', () => {
    const out = new Uint8Array(5);
    expect(thresholdMask([1, 5, NaN, 3, 10], 2, 8, out)).toBe(2);
    expect(Array.from(out)).toEqual([0, 1, 0, 1, 0]);
  });

  it('bilinear sampling and cuts along a row and a segment, in nm', async () => {
    const ny = 3,
      nx = 4;
    const m = f32(
      [ny, nx],
      Array.from({ length: 12 }, (_, i) => (i % nx) + 10 * Math.floor(i / nx)),
    ); // v = x + 10 y
    expect(bilinear(m.data, ny, nx, 1.5, 0.5)).toBeCloseTo(6.5, 12);
    const row = await mapCut.run!(
      ctx(
        { row: 1, col: null, from: null, to: null, samples: null, stepNm: null, field: null },
        { map: whole({ fields: { value: m } }) },
        ny,
        nx,
        { scanStepNm: 3 },
      ),
    );
    expect(Array.from(row.fields.profile.data)).toEqual([10, 11, 12, 13]);
    expect(Array.from(row.axes!.distance.data)).toEqual([0, 3, 6, 9]);
    expect((row.meta!.units as Record<string, string>).distance).toBe('nm');
    const seg = await mapCut.run!(
      ctx(
        { row: null, col: null, from: [0, 0], to: [3, 2], samples: 3, stepNm: null, field: null },
        { map: whole({ fields: { value: m } }) },
        ny,
        nx,
      ),
    );
    expect(Array.from(seg.fields.profile.data)).toEqual([0, 11.5, 23]);
    expect((seg.meta!.units as Record<string, string>).distance).toBe('px');
    // positions: the scan positions the cut passes, as a mask (nearest position of each sample)
    expect(Array.from(row.fields.positions.data)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(seg.fields.positions.data)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  it('reads a map defined only on the cut (a fit of the cut positions alone) whole: samples on scan positions read them alone', async () => {
    const m = f32([3, 4], [NaN, NaN, NaN, NaN, 10, 11, 12, 13, NaN, NaN, NaN, NaN]);
    const row = await mapCut.run!(
      ctx(
        { row: 1, col: null, from: null, to: null, samples: null, stepNm: null, field: null },
        { map: whole({ fields: { value: m } }) },
        3,
        4,
      ),
    );
    expect(Array.from(row.fields.profile.data)).toEqual([10, 11, 12, 13]);
    // between positions it still interpolates, and a NaN neighbour with weight makes NaN
    const half = await mapCut.run!(
      ctx(
        { row: null, col: null, from: [0, 1], to: [3, 1.5], samples: 2, stepNm: null, field: null },
        { map: whole({ fields: { value: m } }) },
        3,
        4,
      ),
    );
    expect(half.fields.profile.data[0]).toBe(10);
    expect(Number.isNaN(half.fields.profile.data[1])).toBe(true);
  });
});

describe('short-range order', () => {
  it('α on hand-computed cases', () => {
    // random binary 50/50: P = 25/50/25 → P_max = 0.5 + 2·0.25 = 1, P_random = 0.5, α = 0
    expect(sroAlpha(25, 50, 25)).toBeCloseTo(0, 12);
    // perfect ordering: only Zr–X pairs → P_max = 1, α = 1
    expect(sroAlpha(0, 100, 0)).toBeCloseTo(1, 12);
    // P = 0.5/0.3/0.2: P_max = 0.3 + 0.4 = 0.7, P_random = 0.35, α = 0.3/0.35 − 1 = −1/7 (clustering)
    expect(sroAlpha(0.5, 0.3, 0.2)).toBeCloseTo(-1 / 7, 12);
    // percentages and fractions give the same α
    expect(sroAlpha(50, 30, 20)).toBeCloseTo(sroAlpha(0.5, 0.3, 0.2), 12);
  });

  it('Warren–Cowley α on hand-computed cases', () => {
    expect(warrenCowleyAlpha(25, 50, 25)).toBeCloseTo(0, 12); // c = 0.5, 1 − 0.5/0.5
    // c = 0.5 + 0.15 = 0.65, 2c(1−c) = 0.455, α = 1 − 0.3/0.455
    expect(warrenCowleyAlpha(0.5, 0.3, 0.2)).toBeCloseTo(1 - 0.3 / 0.455, 12);
    expect(warrenCowleyAlpha(0, 1, 0)).toBeCloseTo(-1, 12);
  });
});

describe('decompose.assign', () => {
  it('best assignment maximises the total score', () => {
    expect(
      bestAssignment([
        [0.9, 0.8],
        [0.85, 0.1],
      ]),
    ).toEqual([1, 0]);
  });

  it('names shuffled components by their first-shell reference', async () => {
    const n = 200;
    const r = f32(
      [n],
      Array.from({ length: n }, (_, i) => 1.5 + i * 0.02),
    );
    const refs = { ZrZr: 3.2, ZrX: 2.85, XX: 2.5 };
    const order = ['XX', 'bg', 'ZrZr', 'ZrX'] as const; // components as NMF might return them
    const comps = f32([4, n]);
    order.forEach((nm, t) => {
      const c = nm === 'bg' ? new Float64Array(n).fill(1) : bandLimitedShellCurve(refs[nm], r.data, 0.1, 8.1);
      for (let j = 0; j < n; j++) comps.data[t * n + j] = c[j] + 0.5;
    });
    const ny = 1,
      nx = 2;
    const weights = f32([ny, nx, 4], [1, 5, 2, 2, /* pos 1 */ 3, 5, 1, 0]);
    const nmf = whole({
      fields: { components: comps, weights },
      axes: { r },
      meta: { axisOf: { components: 'r' }, physical: [0, 2, 3] },
    });
    const out = await decomposeAssign.run!(
      ctx(
        {
          firstShell: refs,
          range: [2.0, 4.0],
          physical: 'auto',
          mode: 'unmix',
          composition: null,
          qmin: 0.1,
          qmax: 8.1,
        },
        { nmf },
        ny,
        nx,
      ),
    );
    const a = out.meta!.assignment as Record<string, { component: number }>;
    expect(a.XX.component).toBe(0);
    expect(a.ZrZr.component).toBe(2);
    expect(a.ZrX.component).toBe(3);
    expect(out.fields.XX.data[0]).toBeCloseTo(20, 5);
    expect(out.fields.ZrZr.data[1]).toBeCloseTo(25, 5);
    expect(out.fields.ZrX.data[1]).toBeCloseTo(0, 5);
  });
});
