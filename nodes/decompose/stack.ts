/**
 * Curve stacks for dataset-level decompositions and similarity maps: the per-position curves of an
 * input over an x range, restricted to a mask, as one row-major float32 matrix (in a
 * SharedArrayBuffer, so worker threads can read it without copies).
 */
import { axisRange, curveOf } from '../../engine/curves.ts';
import { UserError } from '../../engine/errors.ts';
import { inputField, inputInfo } from '../../engine/inputs.ts';
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
export async function maskOf(input: DatasetInput | undefined, node: string, total: number): Promise<ArrayLike<number> | null> {
  if (!input) return null;
  const f = await inputField(input, undefined, node, 'mask');
  if (f.data.length !== total) throw new UserError(`node '${node}', input 'mask': expected ${total} values (one per scan position), got shape [${f.shape}]`);
  return f.data;
}

/** Full per-position curve field [ny·nx, n] with its axis. */
export async function curveField(input: DatasetInput, node: string, field: string | null): Promise<{ y: NDArray; x: Float64Array; xName: string; field: string }> {
  const info = await inputInfo(input);
  const c = curveOf(info, node, { field });
  const y = input.scope === 'dataset' ? input.value.fields[c.field] : await input.gather(c.field);
  return { y, x: Float64Array.from(c.x.data as ArrayLike<number>), xName: c.xName, field: c.field };
}

export async function stackCurves(
  input: DatasetInput,
  node: string,
  opts: { field: string | null; range: number[] | null; mask: ArrayLike<number> | null; total: number },
): Promise<CurveStack> {
  const { y, x, xName, field } = await curveField(input, node, opts.field);
  const nAll = x.length;
  if (y.data.length !== opts.total * nAll) throw new UserError(`node '${node}': input curves have shape [${y.shape}], expected ${opts.total} positions × ${nAll} samples`);
  const [i0, i1] = opts.range ? axisRange(x, opts.range[0], opts.range[1]) : [0, nAll];
  const n = i1 - i0;
  if (n < 2) throw new UserError(`node '${node}', param 'range': [${opts.range}] keeps ${n} samples of the ${xName} axis (${x[0]} … ${x[nAll - 1]})`);
  const keep: number[] = [];
  const d = y.data;
  for (let p = 0; p < opts.total; p++) {
    if (opts.mask && !opts.mask[p]) continue;
    let ok = true;
    for (let i = i0; i < i1; i++) if (!Number.isFinite(d[p * nAll + i])) { ok = false; break; }
    if (ok) keep.push(p);
  }
  const rows = keep.length;
  const X = new Float32Array(new SharedArrayBuffer(Math.max(rows * n * 4, 8)), 0, rows * n);
  for (let r = 0; r < rows; r++) {
    const src = keep[r] * nAll;
    for (let i = 0; i < n; i++) X[r * n + i] = d[src + i0 + i];
  }
  return { X, rows, n, positions: Int32Array.from(keep), x: x.slice(i0, i1), xName, field, excluded: opts.total - rows };
}
