/**
 * qoi.integral: per position, the area under a curve over a window [x0, x1] (trapezoidal rule, the
 * curve linearly interpolated at the window ends so the result varies smoothly with the window) and
 * its centroid ∫x·y dx / ∫y dx — a coordination-shell area on G(r) or a ring's intensity on I(Q).
 * Optionally a straight baseline through the curve at x0 and x1 is subtracted first (a peak's area
 * above its local background). A NaN sample inside the window gives NaN for that position.
 */
import { curveOf } from '../../engine/curves.ts';
import { ParamError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';

/** Linear interpolation of samples y[base + i] on the ascending grid x at xv (xv within [x0, x_{n−1}]). */
function valueAt(x: ArrayLike<number>, y: ArrayLike<number>, base: number, xv: number, j: number): number {
  const t = (xv - x[j]) / (x[j + 1] - x[j]);
  return y[base + j] + t * (y[base + j + 1] - y[base + j]);
}

/**
 * ∫ y dx and ∫ x·y dx over [lo, hi] for one curve (samples y[base … base + n)), exact for a
 * piecewise-linear y; `linear` subtracts the chord through (lo, y(lo)) and (hi, y(hi)).
 */
export function integrateWindow(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  base: number,
  lo: number,
  hi: number,
  baseline: 'none' | 'linear',
): { area: number; moment: number } {
  const n = x.length;
  // First sample index j with x[j] ≥ lo … the segment containing each end.
  let j0 = 0;
  while (j0 < n - 2 && x[j0 + 1] < lo) j0++;
  let j1 = j0;
  while (j1 < n - 2 && x[j1 + 1] < hi) j1++;
  const yLo = valueAt(x, y, base, lo, j0);
  const yHi = valueAt(x, y, base, hi, j1);
  const slope = baseline === 'linear' ? (yHi - yLo) / (hi - lo) : 0;
  const b = (xv: number) => (baseline === 'linear' ? yLo + slope * (xv - lo) : 0);
  let area = 0;
  let moment = 0;
  let xa = lo;
  let ya = yLo - b(lo);
  // Segment by segment: (xa, ya) → next knot; a trapezoid of a linear piece, and its first moment.
  for (let j = j0 + 1; j <= j1 + 1; j++) {
    const xb = j <= j1 ? x[j] : hi;
    const yb = (j <= j1 ? y[base + j] : yHi) - b(xb);
    const h = xb - xa;
    area += (h * (ya + yb)) / 2;
    moment += (h * (ya * (2 * xa + xb) + yb * (xa + 2 * xb))) / 6;
    xa = xb;
    ya = yb;
  }
  return { area, moment };
}

export const qoiIntegral = defineOp({
  name: 'qoi.integral',
  version: 1,
  scope: 'frame',
  title: 'Integral and centroid over a window',
  description:
    'Per position: the area under a curve (G(r), I(Q), F(Q), S(Q), a profile) over `range` by the trapezoidal rule with the window ends interpolated, and the centroid ∫x·y dx / ∫y dx. baseline "linear" subtracts the straight line through the curve at the window ends first (the peak above its local background).',
  inputs: { curve: { scope: 'frame', description: 'per-position curve (e.g. pdf.G, integrate.I)' } },
  params: {
    range: {
      type: 'number[]',
      length: 2,
      default: [2.2, 3.0],
      unit: 'curve x unit (Å for r, Å⁻¹ for Q)',
      description: 'window [x0, x1] to integrate over (clipped to the curve)',
    },
    baseline: {
      type: 'enum',
      values: ['none', 'linear'],
      default: 'none',
      description: 'subtract nothing, or the chord through the curve at x0 and x1',
    },
    field: {
      type: 'string',
      optional: true,
      description: 'which field of the input (default: G, F, S, I, or the only one)',
    },
  },
  outputs: {
    fields: {
      integral: {
        dims: ['positions'],
        relativeUnit: 'curve unit × curve x unit',
        description: '∫ y dx over the window (baseline subtracted)',
      },
      centroid: {
        dims: ['positions'],
        relativeUnit: 'curve x unit',
        description: '∫ x·y dx / ∫ y dx over the window (NaN when the area is 0)',
      },
    },
  },
  check(p, { node }) {
    if (!(p.range[0] < p.range[1]))
      throw new ParamError(node, 'range', `expected [x0, x1] with x0 < x1, got [${p.range}]`);
  },
  process({ node, params, chunk, inputs }) {
    const curve = curveOf(inputs.curve, node, { field: params.field });
    const x = curve.x.data as ArrayLike<number>;
    const n = x.length;
    const y = curve.y.data as ArrayLike<number>;
    const lo = Math.max(params.range[0], x[0]);
    const hi = Math.min(params.range[1], x[n - 1]);
    if (!(hi > lo))
      throw new ParamError(
        node,
        'range',
        `window [${params.range}] does not overlap the curve's x range [${x[0]}, ${x[n - 1]}]`,
      );
    const integral = f32([chunk.count]);
    const centroid = f32([chunk.count]);
    for (let c = 0; c < chunk.count; c++) {
      const { area, moment } = integrateWindow(x, y, c * n, lo, hi, params.baseline);
      integral.data[c] = area;
      centroid.data[c] = area !== 0 ? moment / area : NaN;
    }
    const units = (inputs.curve.meta?.units ?? {}) as Record<string, string>;
    const xUnit = curve.xName === 'r' ? 'Å' : curve.xName === 'q' ? 'Å⁻¹' : curve.xName;
    const yUnit = units[curve.field] ?? '';
    return {
      fields: { integral, centroid },
      meta: {
        units: { integral: yUnit ? `${yUnit}·${xUnit}` : xUnit, centroid: xUnit },
        source: curve.field,
      },
    };
  },
});
