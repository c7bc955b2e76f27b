/**
 * model.response (the study's Fig. 7(c)): the G(r) of a glass built from per-pair-fraction reference
 * partials with SCIENCE.md's pair fractions, read as r₁max and the two-Gaussian c₁ + c₂.
 */
import { describe, expect, it } from 'vitest';
import { f32 } from '../../engine/ndarray.ts';
import { modelResponseOp, pairFractionsOf } from '../../nodes/model/response-op.ts';
import { sroAlpha } from '../../nodes/qoi/sro-formulas.ts';

const r = Float64Array.from({ length: 601 }, (_, i) => i * 0.01);
const gauss = (c: number, s: number) => Float32Array.from(r, (x) => Math.exp(-0.5 * ((x - c) / s) ** 2));
const references = {
  scope: 'dataset' as const,
  value: {
    fields: {
      ZrZr: f32([601], gauss(3.2, 0.2)),
      ZrX: f32([601], gauss(2.7, 0.12)),
      XX: f32([601], gauss(2.5, 0.12)),
    },
    axes: { r: { dtype: 'float64' as const, shape: [601], data: r } },
  },
};
const params = {
  c: [0.45, 0.65],
  alpha: [-0.5, 0.5],
  steps: 11,
  peakRange: [2.2, 3.4],
  fitRange: [2.1, 4.0],
  names: ['ZrZr', 'ZrX', 'XX'],
};
const run = (p = params) =>
  modelResponseOp.run!({
    node: 'response',
    params: p,
    inputs: { references },
    dataset: null,
  } as never) as Promise<{ fields: Record<string, { data: Float32Array; shape: number[] }> }>;

describe('model.response', () => {
  it('uses SCIENCE.md pair fractions: they sum to 1, keep the composition and give back α', () => {
    for (const c of [0.45, 0.65])
      for (const a of [-0.5, 0, 0.3]) {
        const [zz, zx, xx] = pairFractionsOf(c, a);
        expect(zz + zx + xx).toBeCloseTo(1, 12);
        expect(zz + zx / 2).toBeCloseTo(c, 12);
        expect(sroAlpha(zz, zx, xx)).toBeCloseTo(a, 12);
      }
  });

  it('r₁max and c₁ + c₂ respond to order: more Zr–X pairs (α up) pull the first peak towards the Zr–X shell', async () => {
    const v = await run();
    expect(v.fields.r1max.shape).toEqual([2, 11]);
    for (let row = 0; row < 2; row++) {
      const r1 = Array.from(v.fields.r1max.data.subarray(row * 11, row * 11 + 11));
      for (const x of r1) expect(x).toBeGreaterThan(2.45);
      // the Zr-rich row (c = 0.65): Zr–Zr dominates when clustered, Zr–X when ordered
      if (row === 1) expect(r1[0] - r1[10]).toBeGreaterThan(0.2);
    }
    for (let i = 0; i < 22; i++)
      expect(v.fields.r1r2.data[i]).toBeCloseTo(v.fields.c1.data[i] + v.fields.c2.data[i], 5);
  });

  it('names a missing reference field', async () => {
    await expect(run({ ...params, names: ['ZrZr', 'CuZr', 'XX'] })).rejects.toThrow(/no field 'CuZr'/);
  });
});
