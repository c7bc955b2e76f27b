/**
 * pdf.reduce: I(Q) per position → S(Q), F(Q) and G(r) (see reduce.ts for the method). Takes the
 * output of integrate.azimuthal or source.profiles (Q or g axis). S, F and G are separate fields, so
 * a consumer can select "pdf.F" without touching G.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { curveOf } from '../../engine/curves.ts';
import { f32 } from '../../engine/ndarray.ts';
import type { OpParams, Value } from '../../engine/types.ts';
import { defineOp } from '../../engine/types.ts';
import { CompositionError, parseComposition, type Composition } from './composition.ts';
import { checkRGrid } from '../size-limits.ts';
import { ReduceRangeError, ReductionPlan, type ReduceOptions } from './reduce.ts';

/** The op's params: the reduction options, with the composition still as written in the graph. */
export type ReduceParams = OpParams<typeof pdfReduce>;

interface ReduceState {
  composition: Composition;
  plans: Map<string, ReductionPlan>;
  /** zero padding is logged once per worker, not per chunk */
  paddingLogged: boolean;
}

/** The plan's options from the op's params ("auto" → fitted N, pin at the top of the range). */
function planOptions(p: ReduceParams, composition: Composition): ReduceOptions {
  const { N, cAtQ, ...rest } = p;
  return { ...rest, composition, fixedN: N === 'auto' ? null : N, cAtQ: cAtQ === 'auto' ? null : cAtQ };
}

function compositionOf(p: ReduceParams, node: string): Composition {
  try {
    return parseComposition(p.composition);
  } catch (e) {
    if (e instanceof CompositionError) throw new ParamError(node, 'composition', e.message);
    throw e;
  }
}

export const pdfReduce = defineOp({
  name: 'pdf.reduce',
  // v2: meta also carries the transform band (qmin, qmax), which fit.structure reads.
  // v3: polynomial degree from the qmaxinst actually used; zero-padded ends left out; damping, N, normalisation.
  version: 4,
  scope: 'frame',
  title: 'Reduction to S(Q), F(Q) and the ePDF G(r)',
  description:
    'PDFgetX3-style "ad hoc" reduction with electron form factors (Lobato or Kirkland): normalisation N so that I/N follows ⟨f²⟩ at high Q (or a fixed N, or ePDFpy\'s N⟨f²⟩ + C), S = (I/N − ⟨f²⟩ + ⟨f⟩²)/⟨f⟩², F = Q(S − 1) minus a polynomial P(Q), P(0) = 0, of degree round(rpoly·Q_top/π) fitted over [qmin, Q_top] (Q_top = qmaxinst clipped to the data); G(r) = (2/π)∫ F(Q) sin(Qr) dQ over [qmin, qmax] (chirp-z transform, exact to rounding), optional Lorch window and e^(−b s²) damping. Exact zeros at a curve\'s ends (zero padding) are left out like empty bins.',
  inputs: {
    iq: {
      scope: 'any',
      description: 'I(Q) curves: integrate.azimuthal (field I) or source.profiles (axis q, or g = Q/2π)',
    },
  },
  params: {
    composition: {
      type: 'json',
      description: 'formula ("Zr65Cu17.5Ni10Al7.5", "SiO2") or amounts {"Zr": 65, "Cu": 17.5, …}; normalised',
    },
    formFactors: {
      type: 'enum',
      values: ['lobato', 'kirkland'],
      default: 'lobato',
      description: 'electron form-factor parametrisation',
    },
    qmin: { type: 'number', min: 0, default: 0.1, unit: 'Å⁻¹ (Q = 2π/d)', description: 'lowest Q used' },
    qmax: {
      type: 'number',
      exclusiveMin: 0,
      default: 8.1,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: 'upper end of the G(r) transform',
    },
    qmaxinst: {
      type: 'number',
      exclusiveMin: 0,
      default: 12.0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description:
        'upper end of the normalisation and polynomial fit (clipped to the data; meta.qmaxinstUsed)',
    },
    rpoly: {
      type: 'number',
      exclusiveMin: 0,
      default: 1.2,
      unit: 'Å',
      description:
        "the correction polynomial carries real-space content below ≈ rpoly only: degree round(rpoly·Q_top/π), Q_top = the qmaxinst actually used (the data's end if qmaxinst is beyond it)",
    },
    rmin: { type: 'number', min: 0, default: 0, unit: 'Å', description: 'first r of G(r)' },
    rmax: { type: 'number', exclusiveMin: 0, default: 20, unit: 'Å', description: 'last r of G(r)' },
    rstep: { type: 'number', exclusiveMin: 0, default: 0.01, unit: 'Å', description: 'r step of G(r)' },
    window: {
      type: 'enum',
      values: ['none', 'lorch'],
      default: 'none',
      description: 'window on F(Q) before the transform: none, or Lorch sin(πQ/qmax)/(πQ/qmax)',
    },
    damping: {
      type: 'number',
      min: 0,
      default: 0,
      unit: 'Å² (s = Q/2π)',
      description:
        'ePDFpy/SUePDF damping: F(Q) is multiplied by e^(−b s²) before the transform (the F output is undamped); 0 = none',
    },
    normalisation: {
      type: 'enum',
      values: ['high-q', 'epdfpy'],
      default: 'high-q',
      description:
        'high-q: N = ΣI⟨f²⟩/Σ⟨f²⟩² over the upper half of [qmin, Q_top]; epdfpy: I ≈ N⟨f²⟩ + C by least squares over [qmin, Q_top], the line pinned through the data at cAtQ (ePDFpy\'s "fit at q"), and I − C is reduced',
    },
    N: {
      type: 'number',
      auto: true,
      default: 'auto',
      exclusiveMin: 0,
      description:
        'a fixed normalisation N (with epdfpy, C is then pinned at cAtQ); "auto" = fitted per position',
    },
    cAtQ: {
      type: 'number',
      auto: true,
      default: 'auto',
      exclusiveMin: 0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description:
        'normalisation epdfpy: the Q where N⟨f²⟩ + C meets the data (last point at or below it); "auto" = Q_top',
    },
    qResolution: {
      type: 'number',
      min: 0,
      default: 0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description:
        "Gaussian σ of the instrument's Q resolution (an instrument calibration): σ_Q = qPerPixel·√(σ_PSF² + box²/12 + …) with σ_PSF the detector point spread (px) and box widths (px) of pixel aperture, pixel splitting and Q bin. > 0: the blurred ⟨f²⟩ is subtracted (and is N's reference), and the phase shift the blur of the steeply falling ⟨f⟩² puts on S − 1 (G(r) peaks low) is undone to first order in σ²: S − 1 = h₀ − σ²(g'/g − 1/Q)h₀' − (σ²/2)(g''/g)h₀, g = ⟨f⟩², h₀ = (I/N − blurred ⟨f²⟩)/g. The blur of F(Q) itself (G(r) damped by e^{−σ²r²/2}, peaks stay within ≈ σ²r·width²) is left. 0 = off.",
    },
  },
  outputs: {
    fields: {
      S: {
        dims: ['positions', 'nq'],
        unit: '1',
        axis: 'q',
        description: 'structure factor S(Q) (points in [qmin, qmaxinst])',
      },
      F: {
        dims: ['positions', 'nq'],
        unit: 'Å⁻¹',
        axis: 'q',
        description: 'reduced structure function F(Q) = Q(S − 1), polynomial-corrected',
      },
      G: {
        dims: ['positions', 'nr'],
        unit: 'Å⁻²',
        axis: 'r',
        description: 'reduced pair distribution function G(r)',
      },
      N: { dims: ['positions'], description: 'normalisation N per position (I/N ≈ ⟨f²⟩ at high Q)' },
    },
    axes: { q: { unit: 'Å⁻¹', description: 'Q = 2π/d of S and F' }, r: { unit: 'Å', description: 'r of G' } },
  },
  check(p, { node }) {
    compositionOf(p, node);
    if (!(p.rpoly > 0)) throw new ParamError(node, 'rpoly', `must be > 0 Å, got ${p.rpoly}`);
    if (!(p.qmin < p.qmax))
      throw new ParamError(node, 'qmin', `empty Q range: qmin ${p.qmin} ≥ qmax ${p.qmax} Å⁻¹`);
    if (p.qmax > p.qmaxinst)
      throw new ParamError(node, 'qmax', `qmax ${p.qmax} must not exceed qmaxinst ${p.qmaxinst} Å⁻¹`);
    if (!(p.rmax > p.rmin))
      throw new ParamError(node, 'rmax', `rmax ${p.rmax} must be above rmin ${p.rmin} Å`);
    checkRGrid(node, p.rmin, p.rmax, p.rstep, 4, 'per position for G(r) (float32)');
  },
  prepare({ params, node }): ReduceState {
    return { composition: compositionOf(params, node), plans: new Map(), paddingLogged: false };
  },
  process({ inputs, state, params, chunk, node, log }): Value {
    const c = curveOf(inputs.iq, node, { preferred: ['I'] });
    if (c.xName === 'r')
      throw new UserError(
        `node '${node}', input 'iq': field '${c.field}' is a real-space curve (axis r); pdf.reduce needs I(Q)`,
      );
    const toQ = c.xName === 'g' ? 2 * Math.PI : 1;
    const x = c.x.data;
    const n = x.length;
    // One plan per distinct Q axis (usually one for the whole run).
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[i] * (i + 1);
    const key = `${c.xName}:${n}:${x[0]}:${x[n - 1]}:${sum}`;
    let plan = state.plans.get(key);
    if (!plan) {
      const q = Float64Array.from(x as ArrayLike<number>, (v) => v * toQ);
      try {
        plan = new ReductionPlan(q, planOptions(params, state.composition));
      } catch (e) {
        if (e instanceof ReduceRangeError) throw new ParamError(node, e.param, e.message);
        throw e;
      }
      state.plans.set(key, plan);
    }
    const y = c.y;
    const perPosition =
      y.shape.length >= 2 && y.shape[0] === chunk.count && y.data.length === chunk.count * n;
    if (!perPosition && y.data.length !== n) {
      throw new UserError(
        `node '${node}', input 'iq': field '${c.field}' has shape [${y.shape}], expected [${chunk.count}, ${n}] or [${n}]`,
      );
    }
    const nq = plan.q.length;
    const nr = plan.r.length;
    const S = f32([chunk.count, nq]);
    const F = f32([chunk.count, nq]);
    const G = f32([chunk.count, nr]);
    const N = f32([chunk.count]);
    let padded = 0;
    let paddedMax = 0;
    for (let i = 0; i < chunk.count; i++) {
      N.data[i] = plan.reduce(y.data, perPosition ? i * n : 0, S.data, F.data, G.data, i * nq, i * nr);
      if (plan.lastPadded > 0 && plan.lastPadded < n) {
        padded++;
        paddedMax = Math.max(paddedMax, plan.lastPadded);
      }
    }
    if (padded && !state.paddingLogged) {
      state.paddingLogged = true;
      log(
        `zero padding: ${padded} of ${chunk.count} curves (positions ${chunk.start}…) end in exact zeros (up to ${paddedMax} of ${n} points); left out of N, the polynomial and the transform`,
      );
    }
    return {
      fields: { S, F, G, N },
      axes: { q: f32([nq], plan.q), r: f32([nr], plan.r) },
      meta: {
        axisOf: { S: 'q', F: 'q', G: 'r' },
        units: { S: '1', F: 'Å⁻¹', G: 'Å⁻²', q: 'Å⁻¹', r: 'Å' },
        composition: Object.fromEntries(
          state.composition.symbols.map((s, k) => [s, state.composition.fractions[k]]),
        ),
        formFactors: params.formFactors,
        polynomialDegree: plan.degree,
        qmaxinstUsed: plan.qmaxinstUsed,
        window: params.window,
        qmin: params.qmin,
        qmax: params.qmax,
        qResolution: params.qResolution,
        damping: params.damping,
        normalisation: params.normalisation,
      },
    };
  },
});
