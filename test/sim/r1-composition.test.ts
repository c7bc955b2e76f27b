/**
 * The model behind issue 6's r₁max check: on noiseless patterns of the demo specimen, reduced the way
 * graphs/snem-bmg.json does (nominal composition, qmax 8.1, no window), the first G(r) peak tracks the
 * Zr fraction almost perfectly, so what the noisy data miss is noise, not model or method. Also pins
 * where that peak sits (the Zr–X / X–X side of the first-shell doublet, see sim/partials.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseComposition } from '../../nodes/pdf/composition.ts';
import { ReductionPlan } from '../../nodes/pdf/reduce.ts';
import { argmaxIn, refineAt } from '../../nodes/qoi/peak-find.ts';
import { pearson } from '../../nodes/map/pearson-core.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { Renderer } from '../../sim/render.ts';
import { REGION } from '../../sim/specimen.ts';

describe('r₁max of noiseless glass patterns', () => {
  const p = resolveSimParams('demo', { seed: 3 });
  const r = new Renderer(p);
  const bins = Float64Array.from({ length: 400 }, (_, k) => 0.015 + 0.03 * k);
  const plan = new ReductionPlan(bins, {
    composition: parseComposition(p.composition),
    formFactors: 'lobato',
    qmin: 0.1,
    qmax: 8.1,
    qmaxinst: 12,
    rpoly: 1.2,
    rmin: 0,
    rmax: 6,
    rstep: 0.01,
    window: 'none',
  });
  const G = new Float32Array(plan.r.length);
  const S = new Float32Array(plan.q.length);
  const F = new Float32Array(plan.q.length);
  const I = new Float64Array(bins.length);
  const [i0, i1] = [plan.r.findIndex((x) => x >= 2.2), plan.r.findIndex((x) => x > 3.6)];
  const c: number[] = [];
  const alpha: number[] = [];
  const r1: number[] = [];
  for (let iy = 0; iy < p.ny; iy += 2)
    for (let ix = 0; ix < p.nx; ix++) {
      const st = r.local(iy, ix);
      if (st.region !== REGION.glass) continue;
      const prof = r.profileOf(iy, ix);
      for (let k = 0; k < bins.length; k++) {
        const t = bins[k] / r.q[1];
        const j = Math.floor(t);
        I[k] = prof[j] + (t - j) * (prof[j + 1] - prof[j]);
      }
      plan.reduce(I, 0, S, F, G, 0, 0);
      r1.push(refineAt(plan.r, G, 0, plan.r.length, argmaxIn(G, 0, i0, i1))[0]);
      c.push(st.c);
      alpha.push(st.alpha);
    }

  it('tracks the true Zr fraction with |Pearson r| ≥ 0.97', () => {
    expect(c.length).toBeGreaterThan(300);
    expect(pearson(r1, c)).toBeGreaterThan(0.97);
  });

  it('sits at 2.65–2.85 Å, mostly 2.65–2.8 (the study: mostly 2.65–2.75): lower in the X-rich glass, higher in the Zr-rich centre', () => {
    for (const x of r1) {
      expect(x).toBeGreaterThan(2.65);
      expect(x).toBeLessThan(2.85);
    }
    expect(r1.filter((x) => x <= 2.8).length / r1.length).toBeGreaterThan(0.6);
    const lo = r1.filter((_, i) => c[i] < 0.5);
    const hi = r1.filter((_, i) => c[i] > 0.62);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(hi) - mean(lo)).toBeGreaterThan(0.06);
  });
});
