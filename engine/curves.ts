/**
 * Conventions for curve-valued results, so any op that takes a curve (I(Q), F(Q), G(r), a profile)
 * can take any of them:
 * - the curve's samples are a field of shape [positions, n] (frame scope) or [n] / [k, n];
 * - its x axis is an entry of `axes` (`q` in Å⁻¹, Q = 2π/d; `r` in Å), and `meta.axisOf[field]`
 *   names which axis belongs to which field (e.g. {I: 'q', F: 'q', G: 'r'});
 * - `meta.units[field]` gives the unit of the values.
 */
import { UserError } from './errors.ts';
import type { NDArray, Value } from './types.ts';

export interface Curve {
  field: string;
  y: NDArray;
  x: NDArray;
  xName: string;
}

/**
 * The curve a consumer should use: the named field, else the only field, else the first of
 * `preferred` that exists. Errors name the node and what is available.
 */
export function curveOf(
  v: Value,
  node: string,
  opts: { field?: string | null; preferred?: string[] } = {},
): Curve {
  const names = Object.keys(v.fields);
  let field = opts.field ?? undefined;
  if (!field) {
    if (names.length === 1) field = names[0];
    else field = (opts.preferred ?? ['G', 'F', 'S', 'I']).find((p) => names.includes(p));
  }
  if (!field || !(field in v.fields)) {
    throw new UserError(
      `node '${node}': expected a curve input; found fields ${names.join(', ') || '(none)'}${opts.field ? ` but not '${opts.field}'` : ''}`,
    );
  }
  const axisOf = (v.meta?.axisOf ?? {}) as Record<string, string>;
  const axes = v.axes ?? {};
  const xName = axisOf[field] ?? Object.keys(axes)[0];
  const x = xName ? axes[xName] : undefined;
  if (!x)
    throw new UserError(`node '${node}': input field '${field}' has no x axis (expected axes.q or axes.r)`);
  return { field, y: v.fields[field], x, xName };
}

/**
 * Samples i0 … i1−1 of an axis as float64. Axes are stored as float32, so a uniform grid
 * (r = rmin + i·rstep) comes back off by rounding (~1e-7 relative) — enough to hide its uniformity
 * from code that exploits it (fit.gaussians' exp recurrence). If every sample is within float32
 * rounding of the straight line through the end samples, that line is returned: the grid the
 * samples were made from; otherwise the samples themselves.
 */
export function axisSamples(x: ArrayLike<number>, i0: number, i1: number): Float64Array {
  const m = i1 - i0;
  const out = Float64Array.from({ length: Math.max(m, 0) }, (_, k) => x[i0 + k]);
  if (m < 3) return out;
  const h = (out[m - 1] - out[0]) / (m - 1);
  if (!(h > 0)) return out;
  for (let k = 0; k < m; k++) {
    const line = out[0] + k * h;
    // float32 keeps 24 bits: 4 units in its last place of the larger magnitude, and far below a step.
    if (Math.abs(out[k] - line) > Math.min(2.4e-7 * Math.max(Math.abs(line), Math.abs(out[k])), 1e-3 * h))
      return out;
  }
  for (let k = 1; k < m - 1; k++) out[k] = out[0] + k * h;
  return out;
}

/**
 * Index range [i0, i1) of a sorted axis covering [lo, hi], both ends included. Axes are stored as
 * float32, so a grid point the user names (r = 2.1 Å on a 0.01 Å grid is 2.0999999 in float32) may
 * sit a rounding error outside the range: ends are widened by a few float32 ulps (1e-6 relative,
 * far below any grid step) so the named point counts whichever way it was rounded.
 */
export function axisRange(x: ArrayLike<number>, lo: number, hi: number): [number, number] {
  const loT = lo - 1e-6 * Math.max(1, Math.abs(lo));
  const hiT = hi + 1e-6 * Math.max(1, Math.abs(hi));
  let i0 = 0;
  while (i0 < x.length && x[i0] < loT) i0++;
  let i1 = i0;
  while (i1 < x.length && x[i1] <= hiT) i1++;
  return [i0, i1];
}
