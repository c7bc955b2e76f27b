/**
 * The dataset pattern calib.geometry fits its centre and ellipse to, built from chunk partials
 * (calib.geometry is a reduce op): the per-pixel mean (partial: per-pixel sum and frame count), the
 * per-pixel median of up to 512 evenly spaced positions, or one position's pattern (partial: the
 * sampled positions' patterns, in their own dtype, in position order).
 */
import { UserError } from '../../engine/errors.ts';
import { f64 } from '../../engine/ndarray.ts';
import type { ChunkInfo, NDArray, TypedArray, Value } from '../../engine/types.ts';
import type { Image } from './ellipse-fit.ts';

/** At most this many positions (evenly spaced) form the median pattern. */
export const MEDIAN_POSITIONS = 512;

export type PatternSpec = { kind: 'mean' } | { kind: 'sampled'; positions: number[] };

/** Positions of the median pattern: up to 512, evenly spaced over the scan, ascending. */
export function medianPositions(total: number): number[] {
  const k = Math.min(total, MEDIAN_POSITIONS);
  const out = new Set<number>();
  for (let j = 0; j < k; j++) out.add(Math.floor(((j + 0.5) * total) / k));
  return [...out];
}

export function framesOf(v: Value, node: string): NDArray {
  const f = v.fields.frames ?? (Object.keys(v.fields).length === 1 ? Object.values(v.fields)[0] : undefined);
  if (f?.shape.length !== 3)
    throw new UserError(`node '${node}', input 'frames': expected patterns [positions, rows, cols]`);
  return f;
}

/** One chunk's partial: its frames summed (mean), or the patterns of the sampled positions it holds. */
export function patternPartial(spec: PatternSpec, frames: NDArray, chunk: ChunkInfo): Value {
  const [count, h, w] = frames.shape;
  const px = h * w;
  const d = frames.data;
  if (spec.kind === 'mean') {
    const sum = new Float64Array(px);
    for (let k = 0, o = 0; k < count; k++) for (let i = 0; i < px; i++, o++) sum[i] += d[o];
    return { fields: { sum: { dtype: 'float64', shape: [h, w], data: sum }, frames: f64([1], [count]) } };
  }
  const here = spec.positions
    .filter((p) => p >= chunk.start && p < chunk.start + chunk.count)
    .sort((a, b) => a - b);
  const Ctor = d.constructor as new (n: number) => TypedArray;
  const patterns = new Ctor(here.length * px);
  here.forEach((p, j) => {
    patterns.set(d.subarray((p - chunk.start) * px, (p - chunk.start + 1) * px), j * px);
  });
  return {
    fields: {
      positions: f64([here.length], here),
      patterns: { dtype: frames.dtype, shape: [here.length, h, w], data: patterns },
    },
  };
}

/** Two partials (a of earlier chunks) as one; new arrays, the inputs are left alone. */
export function mergePatternPartials(a: Value, b: Value): Value {
  if (a.fields.sum) {
    const [x, y] = [a.fields.sum, b.fields.sum];
    const sum = new Float64Array(x.data.length);
    for (let i = 0; i < sum.length; i++) sum[i] = x.data[i] + y.data[i];
    return {
      fields: {
        sum: { dtype: 'float64', shape: x.shape, data: sum },
        frames: f64([1], [a.fields.frames.data[0] + b.fields.frames.data[0]]),
      },
    };
  }
  const [pa, pb] = [a.fields.patterns, b.fields.patterns];
  const Ctor = pa.data.constructor as new (n: number) => TypedArray;
  const patterns = new Ctor(pa.data.length + pb.data.length);
  patterns.set(pa.data);
  patterns.set(pb.data, pa.data.length);
  const positions = f64([a.fields.positions.data.length + b.fields.positions.data.length]);
  positions.data.set(a.fields.positions.data);
  positions.data.set(b.fields.positions.data, a.fields.positions.data.length);
  return {
    fields: {
      positions,
      patterns: { dtype: pa.dtype, shape: [positions.data.length, pa.shape[1], pa.shape[2]], data: patterns },
    },
  };
}

/** The pattern from the merged partial: the mean, or the per-pixel median of the sampled patterns. */
export function patternOf(partial: Value, h: number, w: number, node: string): Image {
  const px = h * w;
  const img = new Float64Array(px);
  if (partial.fields.sum) {
    const { sum, frames } = partial.fields;
    if (sum.data.length !== px)
      throw new UserError(
        `node '${node}', input 'frames': patterns of ${sum.data.length} pixels on a ${h} × ${w} detector`,
      );
    const n = frames.data[0];
    for (let i = 0; i < px; i++) img[i] = sum.data[i] / n;
    return { data: img, h, w };
  }
  const src = partial.fields.patterns.data;
  const got = partial.fields.positions.data.length;
  if (src.length !== got * px)
    throw new UserError(
      `node '${node}', input 'frames': patterns of ${src.length / Math.max(got, 1)} pixels on a ${h} × ${w} detector`,
    );
  // pixel-major stack: each pixel's samples side by side, sorted for its median
  const stack = new Float64Array(got * px);
  for (let j = 0; j < got; j++) for (let i = 0; i < px; i++) stack[i * got + j] = src[j * px + i];
  for (let i = 0; i < px; i++) {
    const s = stack.subarray(i * got, (i + 1) * got).sort();
    img[i] = got & 1 ? s[got >> 1] : 0.5 * (s[(got >> 1) - 1] + s[got >> 1]);
  }
  return { data: img, h, w };
}
