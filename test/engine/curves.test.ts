import { describe, expect, it } from 'vitest';
import { axisRange } from '../../engine/curves.ts';

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
