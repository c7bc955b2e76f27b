/**
 * map.cut: a profile through a map along a row, a column or a segment (bilinear sampling), with its
 * distance axis in nm when the scan step is known (dataset meta scanStepNm or param), else in px.
 */
import { ParamError } from '../../engine/errors.ts';
import { inputField } from '../../engine/inputs.ts';
import { f32, f64 } from '../../engine/ndarray.ts';
import { defineOp, type OpParams } from '../../engine/types.ts';

type CutParams = OpParams<typeof mapCut>;

/** Bilinear value of map (ny×nx) at (x = column, y = row); NaN outside or when a neighbour is NaN. */
export function bilinear(map: ArrayLike<number>, ny: number, nx: number, x: number, y: number): number {
  if (x < 0 || y < 0 || x > nx - 1 || y > ny - 1) return NaN;
  const x0 = Math.min(Math.floor(x), nx - 2 < 0 ? 0 : nx - 2);
  const y0 = Math.min(Math.floor(y), ny - 2 < 0 ? 0 : ny - 2);
  const fx = nx > 1 ? x - x0 : 0;
  const fy = ny > 1 ? y - y0 : 0;
  const x1 = Math.min(x0 + 1, nx - 1);
  const y1 = Math.min(y0 + 1, ny - 1);
  const a = map[y0 * nx + x0];
  const b = map[y0 * nx + x1];
  const c = map[y1 * nx + x0];
  const d = map[y1 * nx + x1];
  return (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d);
}

/** Sample points of a cut: a row, a column or a segment [x, y] → [x, y] (map pixel coordinates). */
export function cutPoints(p: CutParams, ny: number, nx: number): { xs: Float64Array; ys: Float64Array } {
  let x0: number, y0: number, x1: number, y1: number;
  if (p.row !== null) [x0, y0, x1, y1] = [0, p.row, nx - 1, p.row];
  else if (p.col !== null) [x0, y0, x1, y1] = [p.col, 0, p.col, ny - 1];
  else [x0, y0, x1, y1] = [p.from![0], p.from![1], p.to![0], p.to![1]];
  const len = Math.hypot(x1 - x0, y1 - y0);
  const n = p.samples ?? Math.max(2, Math.round(len) + 1);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = n > 1 ? i / (n - 1) : 0;
    xs[i] = x0 + t * (x1 - x0);
    ys[i] = y0 + t * (y1 - y0);
  }
  return { xs, ys };
}

export const mapCut = defineOp({
  name: 'map.cut',
  version: 2, // 2: output positions; a sample on a scan position reads that position alone
  scope: 'dataset',
  title: 'Line profile through a map',
  description:
    "Profile along scan row `row`, column `col`, or the segment `from` [x, y] → `to` [x, y] (x = scan column, y = scan row), sampled bilinearly (a sample that falls on a scan position reads that position alone, so a map defined only on the cut — a per-position fit restricted to it — is read whole); and `positions`, the scan positions nearest the samples as a mask, for per-position ops that compute only where a mask says (fit.structure's `mask`).",
  inputs: { map: { scope: 'any', description: 'a scalar map' } },
  params: {
    row: { type: 'integer', optional: true, min: 0, description: 'scan row to follow' },
    col: { type: 'integer', optional: true, min: 0, description: 'scan column to follow' },
    from: {
      type: 'number[]',
      length: 2,
      optional: true,
      unit: 'scan px [x, y]',
      description: 'segment start',
    },
    to: { type: 'number[]', length: 2, optional: true, unit: 'scan px [x, y]', description: 'segment end' },
    samples: {
      type: 'integer',
      optional: true,
      min: 2,
      max: 1_000_000,
      description: 'number of samples (default: one per scan step)',
    },
    stepNm: {
      type: 'number',
      optional: true,
      exclusiveMin: 0,
      unit: 'nm',
      description: "scan step (default: the dataset's scanStepNm)",
    },
    field: {
      type: 'string',
      optional: true,
      description: 'which field of the input (default: the only one)',
    },
  },
  outputs: {
    fields: {
      profile: { dims: ['n'], axis: 'distance', description: 'map values along the cut' },
      x: { dims: ['n'], unit: 'scan px', description: 'column coordinate of each sample' },
      y: { dims: ['n'], unit: 'scan px', description: 'row coordinate of each sample' },
      positions: {
        dims: ['ny', 'nx'],
        description: 'mask: 1 at the scan position nearest each sample, else 0',
      },
    },
    axes: { distance: { description: 'distance along the cut: nm when the scan step is known, else px' } },
  },
  check(p, { node }) {
    const given = [p.row !== null, p.col !== null, p.from !== null || p.to !== null].filter(Boolean).length;
    if (given !== 1) throw new ParamError(node, 'row', 'give exactly one of `row`, `col`, or `from` + `to`');
    if ((p.from === null) !== (p.to === null))
      throw new ParamError(node, p.from ? 'to' : 'from', 'a segment needs both `from` and `to`');
  },
  async run({ node, params: p, inputs, scan, dataset }) {
    const v = await inputField(inputs.map, p.field ?? undefined, node, 'map');
    const { ny, nx } = scan;
    if (v.data.length !== ny * nx)
      throw new ParamError(
        node,
        'field',
        `expected a scalar map of ${ny * nx} positions, got shape [${v.shape}]`,
      );
    if (p.row !== null && p.row >= ny)
      throw new ParamError(node, 'row', `row ${p.row} is outside the ${ny}-row scan`);
    if (p.col !== null && p.col >= nx)
      throw new ParamError(node, 'col', `column ${p.col} is outside the ${nx}-column scan`);
    const { xs, ys } = cutPoints(p, ny, nx);
    const n = xs.length;
    const profile = f32([n]);
    for (let i = 0; i < n; i++)
      profile.data[i] =
        Number.isInteger(xs[i]) && Number.isInteger(ys[i])
          ? v.data[ys[i] * nx + xs[i]]
          : bilinear(v.data, ny, nx, xs[i], ys[i]);
    const step =
      p.stepNm ??
      (typeof dataset?.meta?.scanStepNm === 'number' ? (dataset.meta.scanStepNm as number) : null);
    const dist = f64([n]);
    for (let i = 0; i < n; i++) dist.data[i] = Math.hypot(xs[i] - xs[0], ys[i] - ys[0]) * (step ?? 1);
    const positions = f32([ny, nx]);
    for (let i = 0; i < n; i++) positions.data[Math.round(ys[i]) * nx + Math.round(xs[i])] = 1;
    return {
      fields: { profile, x: f64([n], xs), y: f64([n], ys), positions },
      axes: { distance: dist },
      meta: {
        axisOf: { profile: 'distance' },
        units: { distance: step ? 'nm' : 'px', x: 'scan px', y: 'scan px' },
      },
    };
  },
});
