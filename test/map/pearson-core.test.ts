/** The one Pearson r (nodes/map/pearson-core.ts): its documented NaN, mask and length behaviour. */
import { describe, expect, it } from 'vitest';
import { pearson } from '../../nodes/map/pearson-core.ts';

describe('pearson', () => {
  const a = [1, 2, 3, 4, 5, 6];
  const b = [2, 1, 4, 3, 6, 5];

  it('matches the textbook value (r = Σ(a−ā)(b−b̄) / √(Σ(a−ā)² Σ(b−b̄)²))', () => {
    // ā = b̄ = 3.5; Σ(a−ā)² = Σ(b−b̄)² = 17.5; Σ(a−ā)(b−b̄) = 14.5
    expect(pearson(a, b)).toBeCloseTo(14.5 / 17.5, 15);
    expect(
      pearson(
        a,
        a.map((v) => -2 * v + 1),
      ),
    ).toBeCloseTo(-1, 15);
  });

  it('leaves out pairs with a non-finite value, and masked-out pairs', () => {
    const withNaN = [...a, NaN, 7, Infinity];
    const other = [...b, 1, NaN, 3];
    expect(pearson(withNaN, other)).toBe(pearson(a, b));
    const mask = [1, 1, 1, 1, 1, 1, 0, 0, 0];
    expect(pearson([...a, 100, -5, 9], [...b, -100, 50, 2], mask)).toBe(pearson(a, b));
    expect(pearson([...a, 100], [...b, -100], [true, true, true, true, true, true, false])).toBe(
      pearson(a, b),
    );
  });

  it('uses the first n pairs only', () => {
    expect(pearson([...a, 100], [...b, -100], null, 6)).toBe(pearson(a, b));
  });

  it('is NaN with fewer than 3 usable pairs or a constant side', () => {
    expect(pearson([1, 2], [3, 5])).toBeNaN();
    expect(pearson([1, 2, NaN], [3, 5, 1])).toBeNaN();
    expect(pearson([1, 2, 3], [4, 4, 4])).toBeNaN();
    expect(pearson([], [])).toBeNaN();
  });

  it('keeps its digits on large, nearly equal values (two passes, no Σab − ΣaΣb/n cancellation)', () => {
    const x = Array.from({ length: 1000 }, (_, i) => 1e9 + Math.sin(i));
    const y = x.map((v, i) => v + 1e-3 * Math.cos(3 * i));
    // the centred values are sin(i) and sin(i) + 1e-3 cos(3i): r is a hair below 1
    const r = pearson(x, y);
    expect(r).toBeLessThan(1);
    expect(r).toBeGreaterThan(0.999999);
  });
});
