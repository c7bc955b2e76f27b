import { describe, expect, it } from 'vitest';
import { axisRange, axisSamples } from '../../engine/curves.ts';

describe('axisRange', () => {
  // r = 0, 0.01, …, 10 Å as pdf.reduce stores it (float32): 2.1 is 2.0999999 and 3.4 is 3.4000001.
  const r = Float32Array.from({ length: 1001 }, (_, i) => i * 0.01);

  it('includes both named grid points whichever way float32 rounded them', () => {
    expect(Math.fround(2.1)).toBeLessThan(2.1);
    expect(Math.fround(3.4)).toBeGreaterThan(3.4);
    const [i0, i1] = axisRange(r, 2.1, 3.4);
    expect([i0, i1]).toEqual([210, 341]);
    expect(axisRange(r, 2.1, 4.0)).toEqual([210, 401]);
  });

  it('does not reach the neighbouring grid points', () => {
    expect(axisRange(r, 2.105, 3.395)).toEqual([211, 340]);
    expect(axisRange(Float64Array.of(1, 2, 3), 1.5, 2.5)).toEqual([1, 2]);
    expect(axisRange(Float64Array.of(1, 2, 3), 4, 5)).toEqual([3, 3]);
  });
});

describe('axisSamples', () => {
  it('reads a float32 uniform axis as the grid it was made from', () => {
    const r32 = Float32Array.from({ length: 1001 }, (_, i) => i * 0.01);
    const xs = axisSamples(r32, 210, 401);
    const h = (xs[190] - xs[0]) / 190;
    let worst = 0;
    for (let k = 0; k < xs.length; k++) worst = Math.max(worst, Math.abs(xs[k] - (xs[0] + k * h)));
    expect(worst).toBeLessThan(1e-14);
    // … while the raw float32 samples are off that line by far more than a uniformity test allows.
    let raw = 0;
    for (let k = 0; k < 191; k++) raw = Math.max(raw, Math.abs(r32[210 + k] - (r32[210] + k * h)));
    expect(raw).toBeGreaterThan(1e-8);
    expect(Math.abs(xs[5] - r32[215])).toBeLessThan(1e-6);
  });

  it('leaves a non-uniform axis as it is', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => i * 0.01 + (i === 20 ? 1e-4 : 0));
    expect(Array.from(axisSamples(x, 0, 50))).toEqual(Array.from(x));
    const q = Float64Array.from({ length: 50 }, (_, i) => (i * 0.1) ** 1.5);
    expect(Array.from(axisSamples(q, 5, 45))).toEqual(Array.from(q.subarray(5, 45)));
  });
});
