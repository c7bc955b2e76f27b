/** Raw patterns for the pattern view: one position, or the mean over a region of interest. */
import { dtypeMax } from '../../engine/ndarray.ts';
import type { DatasetHandle, NDArray } from '../../engine/types.ts';
import { HttpError } from './http-errors.ts';

const READ_CHUNK = 256;

export function checkPosition(iy: number, ix: number, ny: number, nx: number): number {
  if (iy >= ny || ix >= nx)
    throw new HttpError(400, `position (iy ${iy}, ix ${ix}) is outside the ${ny} × ${nx} scan`, {
      field: iy >= ny ? 'iy' : 'ix',
    });
  return iy * nx + ix;
}

function needFrames(ds: DatasetHandle | null): DatasetHandle {
  if (ds?.kind !== 'frames' || ds.frameShape.length !== 2)
    throw new HttpError(409, 'this session has no 4D dataset to show patterns from');
  return ds;
}

export function patternAt(
  ds: DatasetHandle | null,
  index: number,
): { array: NDArray; header: Record<string, unknown> } {
  const d = needFrames(ds);
  const a = d.read(index, 1);
  const [h, w] = d.frameShape;
  return {
    array: { dtype: 'float32', shape: [h, w], data: Float32Array.from(a.data as ArrayLike<number>) },
    header: { dtype0: a.dtype, saturation: isIntegerDtype(a.dtype) ? dtypeMax(a.dtype) : null },
  };
}

function isIntegerDtype(t: string): boolean {
  return t !== 'float32' && t !== 'float64';
}

/** ROI body → sorted linear position indices (validated). */
export function roiPositions(roi: unknown, ny: number, nx: number): Int32Array {
  const r = roi as { rect?: unknown; positions?: unknown } | null;
  if (r && Array.isArray(r.rect)) {
    const [y0, x0, y1, x1] = r.rect as number[];
    if (r.rect.length !== 4 || ![y0, x0, y1, x1].every((v) => Number.isInteger(v)))
      throw new HttpError(400, 'roi.rect: expected four integers [y0, x0, y1, x1]', { field: 'roi' });
    const ya = Math.max(0, y0);
    const yb = Math.min(ny, y1);
    const xa = Math.max(0, x0);
    const xb = Math.min(nx, x1);
    if (!(yb > ya && xb > xa))
      throw new HttpError(400, `roi.rect [${r.rect}] covers no position of the ${ny} × ${nx} scan`, {
        field: 'roi',
      });
    const out = new Int32Array((yb - ya) * (xb - xa));
    let k = 0;
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) out[k++] = y * nx + x;
    return out;
  }
  if (r && Array.isArray(r.positions)) {
    const n = ny * nx;
    const ps = r.positions as unknown[];
    if (!ps.length || !ps.every((p) => Number.isInteger(p) && (p as number) >= 0 && (p as number) < n))
      throw new HttpError(
        400,
        `roi.positions: expected a non-empty list of position indices 0 … ${n - 1} (iy·nx + ix)`,
        { field: 'roi' },
      );
    return Int32Array.from(new Set(ps as number[])).sort();
  }
  throw new HttpError(400, 'roi: expected {rect: [y0, x0, y1, x1]} or {positions: [i, …]}', { field: 'roi' });
}

/**
 * Sorted position indices in runs of nearby positions (each spanning fewer than `maxRun`), so a
 * reader fetches one contiguous block per run: `f(i, end)` gets positions[i … end].
 */
export function forEachRun(positions: Int32Array, maxRun: number, f: (i: number, end: number) => void): void {
  let i = 0;
  while (i < positions.length) {
    const start = positions[i];
    let end = i;
    while (end + 1 < positions.length && positions[end + 1] - start < maxRun) end++;
    f(i, end);
    i = end + 1;
  }
}

/** Mean pattern over the positions (read a chunk of consecutive positions at a time). */
export function meanPattern(ds: DatasetHandle | null, positions: Int32Array): NDArray {
  const d = needFrames(ds);
  const [h, w] = d.frameShape;
  const fsz = h * w;
  const acc = new Float64Array(fsz);
  forEachRun(positions, READ_CHUNK, (i, end) => {
    const start = positions[i];
    const a = d.read(start, positions[end] - start + 1).data as ArrayLike<number>;
    for (let k = i; k <= end; k++) {
      const off = (positions[k] - start) * fsz;
      for (let p = 0; p < fsz; p++) acc[p] += a[off + p];
    }
  });
  const out = new Float32Array(fsz);
  for (let p = 0; p < fsz; p++) out[p] = acc[p] / positions.length;
  return { dtype: 'float32', shape: [h, w], data: out };
}
