/**
 * map.threshold: a mask from a map, e.g. exclude crystalline Ni (high annulus-max VDF) before NMF.
 * mask = 1 where the position is KEPT (selected), 0 where excluded; NaN values are excluded.
 */
import { ParamError } from '../../engine/errors.ts';
import { inputField } from '../../engine/inputs.ts';
import { zeros } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';

export function thresholdMask(
  v: ArrayLike<number>,
  above: number | null,
  below: number | null,
  out: Uint8Array,
): number {
  let kept = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const keep = x === x && (above === null || x > above) && (below === null || x < below);
    out[i] = keep ? 1 : 0;
    kept += out[i];
  }
  return kept;
}

export const mapThreshold = defineOp({
  name: 'map.threshold',
  version: 1,
  scope: 'dataset',
  title: 'Mask from a threshold on a map',
  description:
    'mask [ny, nx] uint8: 1 = kept (value > above and/or < below), 0 = excluded; NaN positions are excluded.',
  inputs: { map: { scope: 'any', description: 'a scalar map (per-position scalar or [ny, nx])' } },
  params: {
    mode: {
      type: 'enum',
      values: ['value', 'fraction'],
      default: 'value',
      description: "thresholds in map units, or as fractions of the map's finite range (0 = min, 1 = max)",
    },
    above: { type: 'number', optional: true, description: 'keep positions whose value is greater than this' },
    below: { type: 'number', optional: true, description: 'keep positions whose value is less than this' },
    field: {
      type: 'string',
      optional: true,
      description: 'which field of the input (default: the only one)',
    },
  },
  outputs: { fields: { mask: { dims: ['ny', 'nx'], description: '1 = kept / selected, 0 = excluded' } } },
  check(p, { node }) {
    if (p.above === null && p.below === null)
      throw new ParamError(node, 'above', 'give `above`, `below` or both');
  },
  async run({ node, params: p, inputs, scan }) {
    const v = await inputField(inputs.map, p.field ?? undefined, node, 'map');
    const total = scan.ny * scan.nx;
    if (v.data.length !== total)
      throw new ParamError(
        node,
        'field',
        `expected a scalar map of ${total} positions, got shape [${v.shape}]`,
      );
    let above = p.above;
    let below = p.below;
    if (p.mode === 'fraction') {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < total; i++) {
        const x = v.data[i];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      const at = (f: number | null) => (f === null ? null : lo + f * (hi - lo));
      above = at(above);
      below = at(below);
    }
    const mask = zeros('uint8', [scan.ny, scan.nx]);
    const kept = thresholdMask(v.data, above, below, mask.data as Uint8Array);
    return {
      fields: { mask },
      meta: { kept, excluded: total - kept, above, below, meaning: '1 = kept, 0 = excluded' },
    };
  },
});
