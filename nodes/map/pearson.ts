/**
 * map.pearson: Pearson r between every position's curve (over an x range) and a reference curve —
 * the curve at one position, or the mean curve over a region. Masked positions are NaN.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { f32, f64 } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';
import { maskOf, stackCurves } from '../decompose/stack.ts';
import { pearson } from './pearson-core.ts';

interface PearsonParams {
  range: number[] | null;
  at: number[] | null;
  field: string | null;
}

export const mapPearson = defineOp<PearsonParams>({
  name: 'map.pearson',
  version: 2, // 2: range ends on a float32 axis included (engine/curves.ts axisRange)
  scope: 'dataset',
  title: 'Pearson similarity map',
  description:
    'r of each position\'s curve (e.g. G(r) over `range`) with a reference: the curve at position `at` = [iy, ix], else the mean curve over the `region` input (nonzero = in), else the mean over all unmasked positions.',
  inputs: {
    curves: { scope: 'any', description: 'per-position curves, normally G(r)' },
    mask: { scope: 'dataset', optional: true, description: 'positions to compute [ny, nx] (nonzero = compute; others NaN)' },
    region: { scope: 'dataset', optional: true, description: 'positions whose mean curve is the reference [ny, nx]' },
  },
  params: {
    range: { type: 'number[]', length: 2, optional: true, unit: 'curve x unit (Å for r)', description: 'x range compared (default: all)' },
    at: { type: 'number[]', length: 2, optional: true, description: 'reference position [iy, ix] (scan row, column)' },
    field: { type: 'string', optional: true, description: 'which field of the input (default G, else the only one)' },
  },
  outputs: { r: { description: 'Pearson r with the reference [ny, nx]; NaN where masked' } },
  check(p, { node }) {
    if (p.at && !p.at.every((v) => Number.isInteger(v) && v >= 0)) throw new ParamError(node, 'at', `expected [iy, ix] scan indices, got [${p.at}]`);
  },
  async run({ node, params: p, inputs, scan }) {
    const total = scan.ny * scan.nx;
    if (p.at && (p.at[0] >= scan.ny || p.at[1] >= scan.nx)) throw new ParamError(node, 'at', `[${p.at}] is outside the ${scan.ny} × ${scan.nx} scan`);
    const mask = await maskOf(inputs.mask, node, total);
    const st = await stackCurves(inputs.curves, node, { field: p.field, range: p.range, mask: null, total });
    const { X, n } = st;
    const rowOf = new Int32Array(total).fill(-1);
    st.positions.forEach((pos, r) => (rowOf[pos] = r));
    const ref = new Float64Array(n);
    let label: string;
    if (p.at) {
      const r = rowOf[p.at[0] * scan.nx + p.at[1]];
      if (r < 0) throw new UserError(`node '${node}', param 'at': the curve at [${p.at}] has non-finite values`);
      for (let j = 0; j < n; j++) ref[j] = X[r * n + j];
      label = `position [${p.at}]`;
    } else {
      const region = (await maskOf(inputs.region, node, total)) ?? mask;
      let cnt = 0;
      for (let pos = 0; pos < total; pos++) {
        const r = rowOf[pos];
        if (r < 0 || (region && !region[pos])) continue;
        for (let j = 0; j < n; j++) ref[j] += X[r * n + j];
        cnt++;
      }
      if (!cnt) throw new UserError(`node '${node}': the reference region holds no valid curve`);
      for (let j = 0; j < n; j++) ref[j] /= cnt;
      label = `mean of ${cnt} positions`;
    }
    const out = f32([scan.ny, scan.nx]);
    out.data.fill(NaN);
    for (let pos = 0; pos < total; pos++) {
      const r = rowOf[pos];
      if (r < 0 || (mask && !mask[pos])) continue;
      out.data[pos] = pearson(X, ref, r * n, 0, n);
    }
    return { fields: { r: out }, axes: { [st.xName]: f64([n], st.x) }, meta: { reference: label, referenceCurve: Array.from(ref) } };
  },
});
