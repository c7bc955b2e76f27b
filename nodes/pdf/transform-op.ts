/**
 * pdf.transform: G(r) from an F(Q) that pdf.reduce already made, with another window or damping.
 * A second G(r) of the same reduction (the Lorch copy used for peak-position maps) then costs one
 * transform per position instead of a second reduction (normalisation, polynomial, S and F again).
 * The transform is pdf.reduce's: G(r) = (2/π) Σ_{qmin ≤ Q ≤ qmax} F(Q) W(Q) D(Q) sin(Qr) ΔQ on F's
 * own Q points, non-finite F counting as 0. F is stored as float32, so G agrees with a pdf.reduce
 * that has the same window to float32 rounding (≈ 1e-7 of the curve's scale), not bit for bit.
 */
import { axisSamples, curveOf } from '../../engine/curves.ts';
import { ParamError, UserError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type Json, type OpParams } from '../../engine/types.ts';
import { checkRGrid } from '../size-limits.ts';
import { SineTransform } from './sine-transform.ts';
import { transformWindow } from './transform-window.ts';

export type TransformParams = OpParams<typeof pdfTransform>;

interface TransformPlan {
  /** F's samples used: q[0 … nG) ≤ qmax. */
  nG: number;
  window: Float64Array;
  transform: SineTransform;
  r: Float64Array;
  qmin: number;
  qmax: number;
}

export const pdfTransform = defineOp({
  name: 'pdf.transform',
  version: 1,
  scope: 'frame',
  title: 'G(r) of an existing F(Q), with a window',
  description:
    "G(r) = (2/π)∫ F(Q) W(Q) D(Q) sin(Qr) dQ of pdf.reduce's F over its own Q points up to qmax (the reduction's qmax by default), W = 1 or Lorch sin(πQ/qmax)/(πQ/qmax), D = e^(−b s²) (s = Q/2π): the same transform as pdf.reduce with `window`/`damping`, without redoing the reduction. For a second G(r) of the same data (e.g. a Lorch-windowed copy for peak positions).",
  inputs: {
    F: { scope: 'any', description: "pdf.reduce's output or its field F (axis q; meta qmax)" },
  },
  params: {
    window: {
      type: 'enum',
      values: ['none', 'lorch'],
      default: 'lorch',
      description: 'window on F(Q) before the transform: none, or Lorch sin(πQ/qmax)/(πQ/qmax)',
    },
    damping: {
      type: 'number',
      min: 0,
      default: 0,
      unit: 'Å² (s = Q/2π)',
      description: 'F(Q) multiplied by e^(−b s²) before the transform; 0 = none',
    },
    qmax: {
      type: 'number',
      auto: true,
      default: 'auto',
      exclusiveMin: 0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description:
        "upper end of the transform (and the Lorch window's); \"auto\" = the reduction's qmax (the input's meta.qmax)",
    },
    rmin: { type: 'number', min: 0, default: 0, unit: 'Å', description: 'first r of G(r)' },
    rmax: { type: 'number', exclusiveMin: 0, default: 20, unit: 'Å', description: 'last r of G(r)' },
    rstep: { type: 'number', exclusiveMin: 0, default: 0.01, unit: 'Å', description: 'r step of G(r)' },
  },
  outputs: {
    fields: {
      G: {
        dims: ['positions', 'nr'],
        unit: 'Å⁻²',
        axis: 'r',
        description: 'reduced pair distribution function G(r)',
      },
    },
    axes: { r: { unit: 'Å', description: 'r of G' } },
  },
  check(p, { node }) {
    if (!(p.rmax > p.rmin))
      throw new ParamError(node, 'rmax', `rmax ${p.rmax} must be above rmin ${p.rmin} Å`);
    checkRGrid(node, p.rmin, p.rmax, p.rstep, 4, 'per position for G(r) (float32)');
  },
  prepare(): { plans: Map<string, TransformPlan> } {
    return { plans: new Map() };
  },
  process({ inputs, state, params, chunk, node }) {
    const c = curveOf(inputs.F, node, { preferred: ['F'] });
    if (c.xName !== 'q')
      throw new UserError(
        `node '${node}', input 'F': field '${c.field}' is on axis '${c.xName}'; pdf.transform needs F(Q) on axis q (pdf.reduce's F)`,
      );
    const meta = (inputs.F.meta ?? {}) as Record<string, unknown>;
    const qmax = params.qmax === 'auto' ? Number(meta.qmax) : params.qmax;
    if (!(qmax > 0))
      throw new ParamError(
        node,
        'qmax',
        `"auto" needs the input's meta.qmax (pdf.reduce records it); give qmax in Å⁻¹`,
      );
    const x = c.x.data;
    const n = x.length;
    const key = `${n}:${x[0]}:${x[n - 1]}:${qmax}`;
    let plan = state.plans.get(key);
    if (!plan) {
      plan = makePlan(axisSamples(x, 0, n), qmax, params, node);
      state.plans.set(key, plan);
    }
    const y = c.y.data;
    const perPosition = c.y.shape.length >= 2 && c.y.shape[0] === chunk.count && y.length === chunk.count * n;
    if (!perPosition && y.length !== n) {
      throw new UserError(
        `node '${node}', input 'F': field '${c.field}' has shape [${c.y.shape}], expected [${chunk.count}, ${n}] or [${n}]`,
      );
    }
    const { nG, window, transform, r } = plan;
    const nr = r.length;
    const G = f32([chunk.count, nr]);
    const fw = new Float64Array(nG);
    for (let i = 0; i < chunk.count; i++) {
      const off = perPosition ? i * n : 0;
      for (let k = 0; k < nG; k++) {
        const v = y[off + k];
        fw[k] = Number.isFinite(v) ? v * window[k] : 0;
      }
      transform.transform(fw, 0, G.data, i * nr);
    }
    const passed = Object.fromEntries(
      ['composition', 'formFactors', 'qmaxinstUsed', 'qResolution', 'normalisation']
        .filter((k) => k in meta)
        .map((k) => [k, meta[k]]),
    ) as Record<string, Json>;
    return {
      fields: { G },
      axes: { r: f32([nr], r) },
      meta: {
        ...passed,
        axisOf: { G: 'r' },
        units: { G: 'Å⁻²', r: 'Å' },
        window: params.window,
        damping: params.damping,
        qmin: plan.qmin,
        qmax: plan.qmax,
      },
    };
  },
});

/** The Q points of F within qmax, their window, and the transform onto the r grid. */
function makePlan(q: Float64Array, qmax: number, p: TransformParams, node: string): TransformPlan {
  const n = q.length;
  if (n < 2) throw new UserError(`node '${node}', input 'F': needs at least 2 Q points, got ${n}`);
  const dq = (q[n - 1] - q[0]) / (n - 1);
  let nG = 0;
  while (nG < n && q[nG] <= qmax + 1e-6 * dq) nG++;
  if (nG < 2)
    throw new ParamError(
      node,
      'qmax',
      `qmax ${qmax} Å⁻¹ leaves fewer than 2 of F's Q points (from ${q[0].toPrecision(4)} Å⁻¹)`,
    );
  const window = transformWindow(q.subarray(0, nG), p.window, qmax, p.damping);
  const nr = Math.floor((p.rmax - p.rmin) / p.rstep + 1e-9) + 1;
  const r = Float64Array.from({ length: nr }, (_, j) => p.rmin + j * p.rstep);
  return { nG, window, transform: new SineTransform(q[0], dq, nG, p.rmin, p.rstep, nr), r, qmin: q[0], qmax };
}
