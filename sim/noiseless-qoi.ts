/**
 * What the study's Gaussian-fit QoIs (Fig. 6: c₁, σ₁ of the two-Gaussian fit, G(r₁max)) would read
 * without counting noise: the expected radial profile of a glass position (detector blur, inelastic
 * background and all, but no Poisson draws) reduced with the run's own pdf.reduce params and fitted
 * / peak-picked with the run's own fit.gaussians / qoi.peak params. This is the truth those maps
 * track — the same chain on noiseless data — so their accuracy rows measure what the noise of one
 * pattern leaves, not a model-versus-method offset (the noiseless values themselves are pinned
 * against the model in test/sim/study-glass.test.ts).
 */
import { parseComposition } from '../nodes/pdf/composition.ts';
import { ReductionPlan, type ReduceOptions } from '../nodes/pdf/reduce.ts';
import { fitCurves, type GaussiansParams } from '../nodes/fit/gaussians.ts';
import { argmaxIn, refineAt } from '../nodes/qoi/peak-find.ts';
import { f32 } from '../engine/ndarray.ts';
import type { Renderer } from './render.ts';

/** Q bins the expected profile is sampled on (the integration's 0–12 Å⁻¹ at 0.03 Å⁻¹). */
const BINS = Float64Array.from({ length: 400 }, (_, k) => 0.015 + 0.03 * k);

export interface ReduceSettings {
  composition: string;
  qmin: number;
  qmax: number;
  qmaxinst: number;
  rpoly: number;
  window?: 'none' | 'lorch';
  formFactors?: 'lobato' | 'kirkland';
}

/** A reduction plan for `s` on the expected-profile bins (r 0–6 Å, 0.01 Å). */
export function noiselessPlan(s: ReduceSettings): ReductionPlan {
  const opts: ReduceOptions = {
    composition: parseComposition(s.composition),
    formFactors: s.formFactors ?? 'lobato',
    qmin: s.qmin,
    qmax: s.qmax,
    qmaxinst: s.qmaxinst,
    rpoly: s.rpoly,
    rmin: 0,
    rmax: 6,
    rstep: 0.01,
    window: s.window ?? 'none',
  };
  return new ReductionPlan(BINS, opts);
}

/** Noiseless G(r) of position (iy, ix) through `plan` (G on plan.r). */
export function noiselessG(r: Renderer, plan: ReductionPlan, iy: number, ix: number): Float32Array {
  const prof = r.profileOf(iy, ix);
  const I = new Float64Array(BINS.length);
  for (let k = 0; k < BINS.length; k++) {
    const t = BINS[k] / r.q[1];
    const j = Math.floor(t);
    I[k] = prof[j] + (t - j) * (prof[j + 1] - prof[j]);
  }
  const G = new Float32Array(plan.r.length);
  plan.reduce(I, 0, new Float32Array(plan.q.length), new Float32Array(plan.q.length), G, 0, 0);
  return G;
}

export interface NoiselessQois {
  c1: number;
  sigma1: number;
  c2: number;
  status: number;
  /** First G(r) maximum in the peak window and its height (on the peak's own reduction). */
  r1max: number;
  gr1max: number;
}

/** The fit QoIs and the first maximum of one position's noiseless G(r). */
export function noiselessQois(
  r: Renderer,
  fitPlan: ReductionPlan,
  fit: GaussiansParams,
  peakPlan: ReductionPlan,
  peakRange: [number, number],
  iy: number,
  ix: number,
): NoiselessQois {
  const G = noiselessG(r, fitPlan, iy, ix);
  const y = f32([1, G.length]);
  y.data.set(G);
  const F = fitCurves(y, Float32Array.from(fitPlan.r), 1, fit).fields;
  const Gp = peakPlan === fitPlan ? G : noiselessG(r, peakPlan, iy, ix);
  const rr = peakPlan.r;
  const i0 = rr.findIndex((x) => x >= peakRange[0]);
  let i1 = rr.findIndex((x) => x > peakRange[1]);
  if (i1 < 0) i1 = rr.length;
  const [r1max, gr1max] = refineAt(rr, Gp, 0, rr.length, argmaxIn(Gp, 0, i0, i1));
  return {
    c1: F.c1.data[0],
    sigma1: F.sigma1.data[0],
    c2: F.c2.data[0],
    status: F.status.data[0],
    r1max,
    gr1max,
  };
}
