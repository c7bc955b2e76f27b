import { describe, expect, it } from 'vitest';
import { poisson255 } from '../../sim/poisson.ts';
import { Rng } from '../../sim/rng.ts';

describe('poisson255', () => {
  it('has the Poisson mean and variance on both sides of the normal-approximation switch', () => {
    const rng = new Rng(42, 9);
    const n = 200_000;
    for (const lam of [0.3, 2.7, 11.4, 29.9, 30.1, 85]) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const k = poisson255(lam, rng);
        s += k;
        s2 += k * k;
      }
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      // 5 standard errors of the mean; variance within 3 %.
      expect(Math.abs(mean - lam)).toBeLessThan(5 * Math.sqrt(lam / n) + 1 / 128);
      expect(Math.abs(variance / lam - 1)).toBeLessThan(0.03);
    }
  });

  it('gives P(0) = e^{−λ} for small λ and saturates at 255', () => {
    const rng = new Rng(1, 2);
    let zeros = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) if (poisson255(1, rng) === 0) zeros++;
    expect(Math.abs(zeros / n - Math.exp(-1))).toBeLessThan(0.006);
    expect(poisson255(1000, rng)).toBe(255);
    expect(poisson255(0, rng)).toBe(0);
  });
});

describe('poissonFill', () => {
  it('draws exactly what poisson255 draws, pixel by pixel, and leaves the generator in the same state', async () => {
    const { poissonFill } = await import('../../sim/poisson.ts');
    const lam = Float32Array.from(
      { length: 5000 },
      (_, i) => [0, 0.2, 3.3, 17, 29.99, 30, 55.5, 250, 401, 5000][i % 10] + (i % 7) * 0.01,
    );
    const a = new Rng(5, 6);
    const b = new Rng(5, 6);
    const filled = new Uint8Array(lam.length + 3);
    poissonFill(lam, filled, 3, a);
    for (let i = 0; i < lam.length; i++) expect(filled[3 + i]).toBe(poisson255(lam[i], b));
    expect(a.u32()).toBe(b.u32());
  });
});
