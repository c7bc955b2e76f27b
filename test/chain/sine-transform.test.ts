import { describe, expect, it } from 'vitest';
import { directSineTransform, SineTransform } from '../../nodes/pdf/sine-transform.ts';
import { rng } from './synth.ts';

describe('G(r) transform (chirp-z) equals the direct (2/π)ΣF sin(Qr)ΔQ sum', () => {
  const grids = [
    { q0: 0.1, dq: 0.036, m: 222, r0: 0, dr: 0.01, nr: 2001 },
    { q0: 0.55, dq: 0.02, m: 580, r0: 1.5, dr: 0.013, nr: 700 },
    { q0: 0.0, dq: 0.1, m: 7, r0: 0.2, dr: 0.5, nr: 3 },
    { q0: 0.3, dq: 0.05, m: 300, r0: 0, dr: 0.02, nr: 5000 },
  ];
  for (const g of grids) {
    it(`m = ${g.m} Q points, ${g.nr} r points from ${g.r0} Å step ${g.dr}`, () => {
      const rand = rng(g.m);
      const q = Float64Array.from({ length: g.m }, (_, n) => g.q0 + n * g.dq);
      // A realistic F(Q): damped oscillations plus noise.
      const F = q.map((x) => x * Math.exp(-0.02 * x * x) * Math.sin(2.7 * x) + 0.3 * (rand() - 0.5));
      const r = Float64Array.from({ length: g.nr }, (_, j) => g.r0 + j * g.dr);
      const want = directSineTransform(q, F, g.dq, r);
      const got = new Float64Array(g.nr);
      new SineTransform(g.q0, g.dq, g.m, g.r0, g.dr, g.nr).transform(F, 0, got, 0);
      let worst = 0;
      let scale = 0;
      for (let j = 0; j < g.nr; j++) {
        worst = Math.max(worst, Math.abs(got[j] - want[j]));
        scale = Math.max(scale, Math.abs(want[j]));
      }
      expect(scale).toBeGreaterThan(0.01);
      expect(worst).toBeLessThan(1e-6);
    });
  }
});
