/**
 * Curve stacks for dataset-level decompositions and similarity maps: the per-position curves of an
 * input over an x range, restricted to a mask, as one row-major float32 matrix (in a
 * SharedArrayBuffer, so worker threads can read it without copies).
 */
import { axisRange, curveOf } from '../../engine/curves.ts';
import { UserError } from '../../engine/errors.ts';
import { forEachPositionBlock, inputField, inputInfo } from '../../engine/inputs.ts';
import type { DatasetInput, NDArray } from '../../engine/types.ts';

export interface CurveStack {
  /** rows = selected positions, row-major [rows, n] */
  X: Float32Array;
  rows: number;
  n: number;
  /** flat position index (iy·nx + ix) of each row */
  positions: Int32Array;
  /** the x values of the n columns */
  x: Float64Array;
  xName: string;
  field: string;
  /** positions excluded because the mask said so or a sample was not finite */
  excluded: number;
}

/** Mask [ny, nx] (nonzero = use) from an optional input; null when absent. */
export async function maskOf(
  input: DatasetInput | undefined,
  node: string,
  total: number,
): Promise<ArrayLike<number> | null> {
  if (!input) return null;
  const f = await inputField(input, undefined, node, 'mask');
  if (f.data.length !== total)
    throw new UserError(
      `node '${node}', input 'mask': expected ${total} values (one per scan position), got shape [${f.shape}]`,
    );
  return f.data;
}

/**
 * A curve input about to be read position by position: which field, its x axis, the index range
 * [i0, i1) of `range` on it (all of it when null; at least 2 samples), and the width check for
 * forEachPositionBlock — applied here already to a dataset-level stack of `total` positions.
 */
export async function curveInput(
  input: DatasetInput,
  node: string,
  field: string | null,
  range: number[] | null,
  total: number,
): Promise<{
  field: string;
  x: Float64Array;
  xName: string;
  i0: number;
  i1: number;
  width: (a: NDArray, count: number) => number;
}> {
  const info = await inputInfo(input);
  const c = curveOf(info, node, { field });
  const x = Float64Array.from(c.x.data as ArrayLike<number>);
  const width = (a: NDArray, count: number) => {
    if (a.data.length !== count * x.length)
      throw new UserError(
        `node '${node}': input curves have shape [${a.shape}], expected ${count} positions × ${x.length} samples`,
      );
    return x.length;
  };
  if (input.scope === 'dataset') width(input.value.fields[c.field], total);
  const [i0, i1] = range ? axisRange(x, range[0], range[1]) : [0, x.length];
  if (i1 - i0 < 2)
    throw new UserError(
      `node '${node}', param 'range': [${range}] keeps ${i1 - i0} samples of the ${c.xName} axis (${x[0]} … ${x[x.length - 1]})`,
    );
  return { field: c.field, x, xName: c.xName, i0, i1, width };
}

/** Whether samples i0 … i1−1 of the row at offset o are all finite. */
export function finiteRow(d: ArrayLike<number>, o: number, i0: number, i1: number): boolean {
  for (let i = i0; i < i1; i++) if (!Number.isFinite(d[o + i])) return false;
  return true;
}

/**
 * The stack, read chunk by chunk (a per-position input is never gathered whole): only the rows
 * kept (mask, finite over the range) and only the columns of the range are held.
 */
export async function stackCurves(
  input: DatasetInput,
  node: string,
  opts: { field: string | null; range: number[] | null; mask: ArrayLike<number> | null; total: number },
): Promise<CurveStack> {
  const { field, x, xName, i0, i1, width } = await curveInput(
    input,
    node,
    opts.field,
    opts.range,
    opts.total,
  );
  const nAll = x.length;
  const n = i1 - i0;
  let cap = opts.total;
  if (opts.mask) {
    cap = 0;
    for (let p = 0; p < opts.total; p++) if (opts.mask[p]) cap++;
  }
  // Room for every row the mask allows; rows dropped as non-finite leave the end of the buffer
  // untouched, and untouched pages of a large allocation are never resident.
  const buffer = new SharedArrayBuffer(Math.max(cap * n * 4, 8));
  const X = new Float32Array(buffer, 0, cap * n);
  const keep = new Int32Array(cap);
  let rows = 0;
  await forEachPositionBlock(input, field, opts.total, width, (start, count, d) => {
    for (let q = 0; q < count; q++) {
      const p = start + q;
      if (opts.mask && !opts.mask[p]) continue;
      if (!finiteRow(d, q * nAll, i0, i1)) continue;
      const src = q * nAll + i0;
      for (let i = 0; i < n; i++) X[rows * n + i] = d[src + i];
      keep[rows++] = p;
    }
  });
  return {
    X: new Float32Array(buffer, 0, rows * n),
    rows,
    n,
    positions: keep.slice(0, rows),
    x: x.slice(i0, i1),
    xName,
    field,
    excluded: opts.total - rows,
  };
}
