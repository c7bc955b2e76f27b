/**
 * Dataset statistics for the static mask: per-pixel mean and saturation counts over all frames
 * (chunk partials merged in chunk order), and the dead / hot test of a pixel's mean against the
 * median of its 5 × 5 neighbourhood.
 */
import { dtypeMax, f64 } from '../../engine/ndarray.ts';
import type { NDArray, Value } from '../../engine/types.ts';

export interface PixelStats {
  mean: Float64Array;
  saturatedFrames: Uint32Array;
  frames: number;
  /** Saturation level (dtype max); Infinity for float data. */
  saturation: number;
}

/**
 * The partial of one chunk of frames (mask.static is a reduce op): per-pixel sum and count of
 * frames at the saturation level, the frame count and that level. Sums are float64: exact for
 * integer counts (below 2⁵³), so the merged result does not depend on how the scan is chunked.
 */
export function pixelStatsPartial(frames: NDArray): Value {
  const [count, h, w] = frames.shape;
  const pixels = h * w;
  const saturation = dtypeMax(frames.dtype);
  const data = frames.data;
  const sum = new Float64Array(pixels);
  const sat = new Uint32Array(pixels);
  for (let k = 0, o = 0; k < count; k++) {
    for (let p = 0; p < pixels; p++, o++) {
      const v = data[o];
      sum[p] += v;
      if (v >= saturation) sat[p]++;
    }
  }
  return statsValue(sum, sat, count, saturation, [h, w]);
}

function statsValue(
  sum: Float64Array,
  sat: Uint32Array,
  frames: number,
  saturation: number,
  shape: number[],
): Value {
  return {
    fields: {
      sum: { dtype: 'float64', shape, data: sum },
      saturatedFrames: { dtype: 'uint32', shape, data: sat },
      frames: f64([1], [frames]),
      saturation: f64([1], [saturation]),
    },
  };
}

/** Two partials (a of earlier chunks) as one; new arrays, the inputs are left alone. */
export function mergePixelStats(a: Value, b: Value): Value {
  const [sa, sb] = [a.fields.sum, b.fields.sum];
  if (sa.data.length !== sb.data.length)
    throw new Error(`pixel statistics of ${sa.shape} and ${sb.shape} pixels cannot be merged`);
  const sum = new Float64Array(sa.data.length);
  const sat = new Uint32Array(sa.data.length);
  const [ta, tb] = [a.fields.saturatedFrames.data, b.fields.saturatedFrames.data];
  for (let p = 0; p < sum.length; p++) {
    sum[p] = sa.data[p] + sb.data[p];
    sat[p] = ta[p] + tb[p];
  }
  const frames = a.fields.frames.data[0] + b.fields.frames.data[0];
  return statsValue(
    sum,
    sat,
    frames,
    Math.min(a.fields.saturation.data[0], b.fields.saturation.data[0]),
    sa.shape,
  );
}

/** The dataset statistics from the merged partial: per-pixel mean over every frame. */
export function pixelStatsOf(partial: Value): PixelStats {
  const sum = partial.fields.sum.data;
  const n = partial.fields.frames.data[0];
  const mean = new Float64Array(sum.length);
  for (let p = 0; p < sum.length; p++) mean[p] = n ? sum[p] / n : 0;
  return {
    mean,
    saturatedFrames: partial.fields.saturatedFrames.data as Uint32Array,
    frames: n,
    saturation: partial.fields.saturation.data[0],
  };
}

/** Median of the 5 × 5 neighbourhood of each pixel, the pixel itself left out, ignoring `skip` pixels. */
export function neighbourhoodMedian(
  img: Float64Array,
  h: number,
  w: number,
  skip: Uint8Array | null,
  radius = 2,
): Float64Array {
  const out = new Float64Array(h * w);
  const buf = new Float64Array((2 * radius + 1) ** 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let n = 0;
      for (let j = Math.max(0, y - radius); j <= Math.min(h - 1, y + radius); j++) {
        for (let i = Math.max(0, x - radius); i <= Math.min(w - 1, x + radius); i++) {
          if ((i === x && j === y) || skip?.[j * w + i]) continue;
          buf[n++] = img[j * w + i];
        }
      }
      if (n === 0) {
        out[y * w + x] = NaN;
        continue;
      }
      const s = buf.subarray(0, n).sort();
      out[y * w + x] = n & 1 ? s[n >> 1] : 0.5 * (s[(n >> 1) - 1] + s[n >> 1]);
    }
  }
  return out;
}

export interface DeadHotOptions {
  /** Dead: mean < deadFraction × neighbourhood median (null = off). */
  deadFraction: number | null;
  /** Hot: mean > hotFactor × neighbourhood median (null = off). */
  hotFactor: number | null;
  /** Total expected counts below which a pixel is not judged (too little signal to tell). */
  minCounts: number;
}

/** 1 = dead, 2 = hot, 0 = fine. */
export function classifyDeadHot(
  stats: PixelStats,
  h: number,
  w: number,
  skip: Uint8Array | null,
  o: DeadHotOptions,
): Uint8Array {
  const med = neighbourhoodMedian(stats.mean, h, w, skip);
  const out = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    if (skip?.[p]) continue;
    const m = med[p];
    const v = stats.mean[p];
    if (!(m > 0) || m * stats.frames < o.minCounts) {
      // Too dark around to call a pixel dead; a bright pixel in the dark can still be hot.
      if (
        o.hotFactor != null &&
        v * stats.frames >= o.minCounts &&
        v > o.hotFactor * Math.max(m, 1 / Math.max(1, stats.frames))
      )
        out[p] = 2;
      continue;
    }
    if (o.deadFraction != null && v < o.deadFraction * m) out[p] = 1;
    else if (o.hotFactor != null && v > o.hotFactor * m) out[p] = 2;
  }
  return out;
}
