/**
 * map.pearson: Pearson r between every position's curve (over an x range) and a reference curve —
 * the curve at one position, or the mean curve over a region. Masked positions are NaN.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { f32, f64 } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';
import { forEachPositionBlock } from '../../engine/inputs.ts';
import { curveInput, finiteRow, maskOf } from '../decompose/stack.ts';
import { pearson } from './pearson-core.ts';

export const mapPearson = defineOp({
  name: 'map.pearson',
  version: 2, // 2: range ends on a float32 axis included (engine/curves.ts axisRange)
  scope: 'dataset',
  title: 'Pearson similarity map',
  description:
    "r of each position's curve (e.g. G(r) over `range`) with a reference: the curve at position `at` = [iy, ix], else the mean curve over the `region` input (nonzero = in), else the mean over all unmasked positions.",
  inputs: {
    curves: { scope: 'any', description: 'per-position curves, normally G(r)' },
    mask: {
      scope: 'dataset',
      optional: true,
      description: 'positions to compute [ny, nx] (nonzero = compute; others NaN)',
    },
    region: {
      scope: 'dataset',
      optional: true,
      description: 'positions whose mean curve is the reference [ny, nx]',
    },
  },
  params: {
    range: {
      type: 'number[]',
      length: 2,
      optional: true,
      unit: 'curve x unit (Å for r)',
      description: 'x range compared (default: all)',
    },
    at: {
      type: 'number[]',
      length: 2,
      optional: true,
      description: 'reference position [iy, ix] (scan row, column)',
    },
    field: {
      type: 'string',
      optional: true,
      description: 'which field of the input (default G, else the only one)',
    },
  },
  outputs: {
    fields: { r: { dims: ['ny', 'nx'], description: 'Pearson r with the reference; NaN where masked' } },
    axes: { '<x>': { description: "the input curves' x axis over the range (q or r)" } },
  },
  check(p, { node }) {
    if (p.at && !p.at.every((v) => Number.isInteger(v) && v >= 0))
      throw new ParamError(node, 'at', `expected [iy, ix] scan indices, got [${p.at}]`);
  },
  async run({ node, params: p, inputs, scan }) {
    const total = scan.ny * scan.nx;
    if (p.at && (p.at[0] >= scan.ny || p.at[1] >= scan.nx))
      throw new ParamError(node, 'at', `[${p.at}] is outside the ${scan.ny} × ${scan.nx} scan`);
    const mask = await maskOf(inputs.mask, node, total);
    const { field, x, xName, i0, i1, width } = await curveInput(inputs.curves, node, p.field, p.range, total);
    const nAll = x.length;
    const n = i1 - i0;
    // Streamed in two passes (reference, then r), one chunk in memory at a time; each curve is
    // taken as float32 over the range, as a stacked matrix would hold it.
    const row = new Float32Array(n);
    const rows = (fn: (pos: number) => void, keep: (pos: number) => boolean, span?: [number, number]) =>
      forEachPositionBlock(
        inputs.curves,
        field,
        total,
        width,
        (start, count, d) => {
          for (let q = 0; q < count; q++) {
            const pos = start + q;
            if (!keep(pos) || !finiteRow(d, q * nAll, i0, i1)) continue;
            for (let j = 0; j < n; j++) row[j] = d[q * nAll + i0 + j];
            fn(pos);
          }
        },
        span,
      );
    const ref = new Float64Array(n);
    let label: string;
    if (p.at) {
      const at = p.at[0] * scan.nx + p.at[1];
      let found = false;
      await rows(
        () => {
          for (let j = 0; j < n; j++) ref[j] = row[j];
          found = true;
        },
        (pos) => pos === at,
        [at, at + 1],
      );
      if (!found)
        throw new UserError(`node '${node}', param 'at': the curve at [${p.at}] has non-finite values`);
      label = `position [${p.at}]`;
    } else {
      const region = (await maskOf(inputs.region, node, total)) ?? mask;
      let cnt = 0;
      await rows(
        () => {
          for (let j = 0; j < n; j++) ref[j] += row[j];
          cnt++;
        },
        (pos) => !region || !!region[pos],
      );
      if (!cnt) throw new UserError(`node '${node}': the reference region holds no valid curve`);
      for (let j = 0; j < n; j++) ref[j] /= cnt;
      label = `mean of ${cnt} positions`;
    }
    const out = f32([scan.ny, scan.nx]);
    out.data.fill(NaN);
    await rows(
      (pos) => (out.data[pos] = pearson(row, ref, null, n)),
      (pos) => !mask || !!mask[pos],
    );
    return {
      fields: { r: out },
      axes: { [xName]: f64([n], x.slice(i0, i1)) },
      meta: { reference: label, referenceCurve: Array.from(ref) },
    };
  },
});
