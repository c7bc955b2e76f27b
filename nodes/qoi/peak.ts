/**
 * qoi.peak: position and height of a curve's maximum in a window (G(r): r₁max and G(r₁max); I(Q):
 * the first ring with mode "firstRing"), refined to sub-grid precision by a parabola through the
 * best sample and its neighbours.
 */
import { axisRange, curveOf } from '../../engine/curves.ts';
import { ParamError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';
import { argmaxIn, firstLocalMax, refineAt } from './peak-find.ts';

export const qoiPeak = defineOp({
  name: 'qoi.peak',
  version: 2, // 2: range ends on a float32 axis included (engine/curves.ts axisRange)
  scope: 'frame',
  title: 'Peak position and height',
  description:
    'Per position: the maximum of a curve (G(r), I(Q), F(Q), a profile) within `range`, refined by parabolic interpolation. mode "firstRing": the first local maximum scanning up from range[0] (the amorphous ring on the direct beam\'s tail in I(Q)).',
  inputs: { curve: { scope: 'frame', description: 'per-position curve (e.g. pdf.G, integrate.I)' } },
  params: {
    range: {
      type: 'number[]',
      length: 2,
      default: [2.2, 3.0],
      unit: 'curve x unit (Å for r, Å⁻¹ for Q)',
      description: 'window [x0, x1] to search',
    },
    mode: {
      type: 'enum',
      values: ['max', 'firstRing'],
      default: 'max',
      description: 'largest value in the window, or the first local maximum (ring on I(Q))',
    },
    field: {
      type: 'string',
      optional: true,
      description: 'which field of the input (default: G, F, S, I, or the only one)',
    },
  },
  outputs: {
    fields: {
      position: {
        dims: ['positions'],
        relativeUnit: 'curve x unit',
        description: 'x of the maximum (sub-grid)',
      },
      height: {
        dims: ['positions'],
        relativeUnit: 'curve unit',
        description: 'curve value at the maximum (parabola vertex)',
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
    const [i0, i1] = axisRange(x, params.range[0], params.range[1]);
    const position = f32([chunk.count]);
    const height = f32([chunk.count]);
    for (let c = 0; c < chunk.count; c++) {
      const base = c * n;
      const k = params.mode === 'firstRing' ? firstLocalMax(y, base, n, i0, i1) : argmaxIn(y, base, i0, i1);
      if (k < 0) {
        position.data[c] = NaN;
        height.data[c] = NaN;
        continue;
      }
      const [xp, yp] = refineAt(x, y, base, n, k);
      position.data[c] = xp;
      height.data[c] = yp;
    }
    const units = (inputs.curve.meta?.units ?? {}) as Record<string, string>;
    return {
      fields: { position, height },
      meta: {
        units: {
          position: curve.xName === 'r' ? 'Å' : curve.xName === 'q' ? 'Å⁻¹' : curve.xName,
          height: units[curve.field] ?? '',
        },
        source: curve.field,
      },
    };
  },
});
