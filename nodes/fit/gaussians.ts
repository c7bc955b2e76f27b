/**
 * fit.gaussians: N Gaussians + linear baseline fitted to each position's curve (normally G(r) over
 * the first shell, r ∈ [2.1, 4.0] Å) with a bounded trust-region solver and a robust loss. Every
 * parameter, its standard error, the peak heights, Rw, χ², iterations and a status code come out as
 * per-position fields. A failed fit is NaN plus a status code, never an exception.
 */
import { axisRange, axisSamples, curveOf } from '../../engine/curves.ts';
import { ParamError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import {
  defineOp,
  type FieldDecl,
  type NDArray,
  type OutputDecl,
  type Value,
  type OpParams,
} from '../../engine/types.ts';
import { GaussiansModel, autoStart, paramCount, paramNames, referenceStartBounds } from './gaussian-model.ts';
import { FitArena } from './kernel.ts';
import { LOSSES } from './losses.ts';
import { BoundedLsq, LSQ_STATUS } from './trust-region.ts';

export type GaussiansParams = OpParams<typeof fitGaussians>;

export const STATUS_CODES = {
  [LSQ_STATUS.ok]: 'converged',
  [LSQ_STATUS.maxEval]: 'stopped at maxEval before converging (values kept)',
  [LSQ_STATUS.atBound]: 'converged with a parameter on a bound (values kept)',
  [LSQ_STATUS.nonFinite]: 'non-finite residuals at the start (NaN values)',
  [LSQ_STATUS.tooFewPoints]: 'fewer finite points in range than parameters (NaN values)',
} as const;

/** Output field names for N Gaussians, in a fixed order. */
export function gaussianFieldNames(n: number): string[] {
  const names = paramNames(n);
  const out = [...names, ...names.map((s) => `${s}_err`)];
  for (let i = 1; i <= n; i++) out.push(`height${i}`);
  out.push('rw', 'chi2', 'iterations', 'status');
  return out;
}

/** The fields for N Gaussians (gaussianFieldNames' order): curve-unit fields say so, the op cannot know the unit. */
function outputsFor(n: number): OutputDecl {
  const f = (description: string, unit?: string, relativeUnit?: string): FieldDecl => ({
    dims: ['positions'],
    ...(unit ? { unit } : {}),
    ...(relativeUnit ? { relativeUnit } : {}),
    description,
  });
  const fields: Record<string, FieldDecl> = {};
  for (let k = 1; k <= n; k++) {
    fields[`A${k}`] = f(`area of Gaussian ${k}`, undefined, 'curve unit × Å');
    fields[`c${k}`] = f(`centre of Gaussian ${k}`, 'Å');
    fields[`sigma${k}`] = f(`width (standard deviation) of Gaussian ${k}`, 'Å');
  }
  fields.a = f('baseline slope', undefined, 'curve unit / Å');
  fields.a0 = f('baseline offset', undefined, 'curve unit');
  for (const name of paramNames(n))
    fields[`${name}_err`] = f(
      `standard error of ${name} (scipy curve_fit convention, robust-scaled Jacobian)`,
    );
  for (let k = 1; k <= n; k++)
    fields[`height${k}`] = f(`peak height A${k}/(√(2π)σ${k})`, undefined, 'curve unit');
  fields.rw = f('Rw = √(Σ(y − fit)² / Σ y²) over the range');
  fields.chi2 = f('reduced χ² with unit weights: Σ(y − fit)² / (m − p)');
  fields.iterations = f('accepted solver steps');
  fields.status = f(
    'fit outcome code, see meta.statusCodes: 0 converged, 1 maxEval, 2 on a bound, 3 non-finite, 4 too few points',
  );
  return { fields };
}

export const fitGaussians = defineOp({
  name: 'fit.gaussians',
  // 3: range ends on a float32 axis included (engine/curves.ts axisRange); 4: a float32 uniform axis read as its grid (axisSamples);
  // 5: reference starts try the curve's own (auto) start first, the table when that ends on a bound (fitCurves)
  version: 5,
  scope: 'frame',
  title: 'Gaussian peaks + linear baseline (robust, bounded)',
  description:
    "Fits Σ Aᵢ/(√(2π)σᵢ)·exp(−(r−cᵢ)²/(2σᵢ²)) + a·r + a₀ to each position's curve over `range` with a bounded trust-region least-squares solver and a robust loss (scipy least_squares conventions). Default starts/bounds: the reference study's table.",
  inputs: { curve: { scope: 'frame', description: 'per-position curve, normally G(r) (pdf.G)' } },
  params: {
    n: { type: 'integer', default: 2, min: 1, max: 8, description: 'number of Gaussians' },
    range: {
      type: 'number[]',
      length: 2,
      default: [2.1, 4.0],
      unit: 'Å (curve x unit)',
      description: 'fit window [x0, x1]',
    },
    init: {
      type: 'enum',
      values: ['reference', 'auto'],
      default: 'reference',
      description:
        'starts: the reference table (or `start`), or "auto" from peak detection in each centre window',
    },
    start: {
      type: 'number[]',
      optional: true,
      description: 'starting values [A1, c1, σ1, …, a, a0] (3n+2 numbers); overrides the table',
    },
    lower: {
      type: 'number[]',
      optional: true,
      unbounded: true,
      description: 'lower bounds, same order (use "-inf" for none)',
    },
    upper: {
      type: 'number[]',
      optional: true,
      unbounded: true,
      description: 'upper bounds, same order (use "inf" for none)',
    },
    loss: {
      type: 'enum',
      values: LOSSES,
      default: 'soft_l1',
      description: 'robust loss of (residual / fScale)², as scipy least_squares',
    },
    fScale: {
      type: 'number',
      default: 0.005,
      exclusiveMin: 0,
      unit: 'curve unit',
      description: 'soft margin between inlier and outlier residuals',
    },
    maxEval: {
      type: 'integer',
      optional: true,
      min: 1,
      description: 'maximum residual evaluations (default 100 × parameters, as scipy)',
    },
    field: {
      type: 'string',
      optional: true,
      description: 'which field of the input to fit (default: G, else the only field)',
    },
  },
  outputs: (p) => outputsFor(p.n),
  check(p, { node }) {
    const np = paramCount(p.n);
    if (!(p.range[0] < p.range[1]))
      throw new ParamError(node, 'range', `expected [x0, x1] with x0 < x1, got [${p.range}]`);
    for (const key of ['start', 'lower', 'upper'] as const) {
      const v = p[key];
      if (v && v.length !== np)
        throw new ParamError(
          node,
          key,
          `expected ${np} numbers (3 per Gaussian + a, a0 for n = ${p.n}), got ${v.length}`,
        );
    }
    const sb = referenceStartBounds(p.n, p.range);
    const lo = p.lower ?? sb.lower;
    const hi = p.upper ?? sb.upper;
    for (let i = 0; i < np; i++) {
      if (!(lo[i] <= hi[i]))
        throw new ParamError(
          node,
          p.lower ? 'lower' : 'upper',
          `bound ${paramNames(p.n)[i]}: lower ${lo[i]} > upper ${hi[i]}`,
        );
      if (i % 3 === 2 && i < 3 * p.n && !(lo[i] > 0))
        throw new ParamError(
          node,
          'lower',
          `width ${paramNames(p.n)[i]} needs a lower bound > 0, got ${lo[i]}`,
        );
    }
  },
  process({ node, params: p, chunk, inputs }): Value {
    const curve = curveOf(inputs.curve, node, { field: p.field, preferred: ['G'] });
    return fitCurves(curve.y, curve.x.data as ArrayLike<number>, chunk.count, p, curve.xName);
  },
});

/**
 * Fit every row of y [count, n] on axis x; exported for tests and the benchmark.
 *
 * Reference starts: the solver first starts from the curve itself (the "auto" peak-detection start,
 * clamped to the reference bounds) and keeps that fit when it converges off the bounds (status 0);
 * otherwise it is redone from the table, so every fit that ends on a bound, at maxEval or fails has
 * exactly the table-start result. From the table's 0.01 Å spikes the solver needs 60–70 steps on the
 * paper scan, from the data a handful. Each position depends on its own curve only (a one-position
 * preview equals the map). Where the cost has several minima the two starts can end in different
 * ones: 1–2.5 % of the paper scan's positions by more than 1e-3 Å, most of them to a lower cost.
 * `dataStart: false`: the table alone (the pre-v5 behaviour).
 */
export function fitCurves(
  y: NDArray,
  x: ArrayLike<number>,
  count: number,
  p: GaussiansParams,
  xName = 'r',
  { dataStart = true } = {},
) {
  const n = p.n;
  const np = paramCount(n);
  const [i0, i1] = axisRange(x, p.range[0], p.range[1]);
  const xs = axisSamples(x, i0, i1); // a float32 r axis as the uniform grid it stands for (kernel path)
  const mMax = Math.max(i1 - i0, 1);
  const nx = y.shape[y.shape.length - 1];
  const sb = referenceStartBounds(n, p.range);
  const lower = p.lower ?? sb.lower;
  const upper = p.upper ?? sb.upper;
  const table = p.start ?? sb.start;
  // one memory for the solver and the model: r and J are computed where the solver reads them
  const arena = new FitArena(BoundedLsq.arenaSize(np, mMax) + GaussiansModel.arenaSize(mMax));
  const solver = new BoundedLsq(np, mMax, arena);
  const model = new GaussiansModel(n, mMax, arena);
  const x0 = new Float64Array(np);
  const work = new Float64Array(mMax);
  const names = gaussianFieldNames(n);
  const out: Record<string, NDArray> = {};
  for (const name of names) out[name] = f32([count]);
  const pNames = paramNames(n);
  const pOut = pNames.map((s) => out[s].data);
  const eOut = pNames.map((s) => out[`${s}_err`].data);
  const hOut = Array.from({ length: n }, (_, k) => out[`height${k + 1}`].data);
  const { rw, chi2, iterations, status } = out;
  const opts = { loss: p.loss, fScale: p.fScale, maxEval: p.maxEval ?? undefined, additiveFrom: 3 * n }; // the baseline a, a₀
  const yd = y.data;

  for (let c = 0; c < count; c++) {
    // finite samples in range
    let m = 0;
    for (let i = i0; i < i1; i++) {
      const v = yd[c * nx + i];
      if (!Number.isFinite(v)) continue;
      model.x[m] = xs[i - i0];
      model.y[m] = v;
      m++;
    }
    model.m = m;
    model.prepare();
    if (m >= np) {
      const fromData = p.init === 'auto' || (dataStart && !p.start); // explicit starts are used as given
      if (fromData) autoStart(n, model.x, model.y, m, lower, upper, x0, work);
      else x0.set(table);
      solver.solve(model, m, x0, lower, upper, opts);
      if (p.init !== 'auto' && fromData && solver.status !== LSQ_STATUS.ok) {
        x0.set(table);
        solver.solve(model, m, x0, lower, upper, opts);
      }
    } else {
      solver.solve(model, 0, x0, lower, upper, opts); // records tooFewPoints and NaNs
    }
    const failed = solver.status === LSQ_STATUS.nonFinite || solver.status === LSQ_STATUS.tooFewPoints;
    for (let k = 0; k < np; k++) {
      pOut[k][c] = failed ? NaN : solver.x[k];
      eOut[k][c] = failed ? NaN : solver.stderr[k];
    }
    for (let k = 0; k < n; k++)
      hOut[k][c] = failed ? NaN : solver.x[3 * k] / (Math.sqrt(2 * Math.PI) * solver.x[3 * k + 2]);
    if (failed) {
      rw.data[c] = NaN;
      chi2.data[c] = NaN;
    } else {
      const r = solver.residuals();
      let ss = 0;
      let yy = 0;
      for (let i = 0; i < m; i++) {
        ss += r[i] * r[i];
        yy += model.y[i] * model.y[i];
      }
      // residuals() holds the last accepted point's residuals
      rw.data[c] = Math.sqrt(ss / yy);
      chi2.data[c] = ss / (m - np);
    }
    iterations.data[c] = solver.iterations;
    status.data[c] = solver.status;
  }
  const units: Record<string, string> = {};
  for (let k = 1; k <= n; k++) {
    units[`c${k}`] = 'Å';
    units[`sigma${k}`] = 'Å';
  }
  return {
    fields: out,
    meta: {
      statusCodes: STATUS_CODES as unknown as Record<string, string>,
      params: pNames,
      loss: p.loss,
      fScale: p.fScale,
      xAxis: xName,
      units,
    },
  };
}
