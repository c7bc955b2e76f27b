/**
 * Dataset statistics for the static mask: per-pixel mean and saturation counts over all frames, and
 * the dead / hot test of a pixel's mean against the median of its 5 × 5 neighbourhood.
 */

export interface PixelStats {
  mean: Float64Array;
  saturatedFrames: Uint32Array;
  frames: number;
}

export class PixelStatsAccumulator {
  private readonly sum: Float64Array;
  private readonly sat: Uint32Array;
  private n = 0;

  constructor(
    readonly pixels: number,
    /** Saturation level (dtype max); Infinity for float data. */
    readonly saturation: number,
  ) {
    this.sum = new Float64Array(pixels);
    this.sat = new Uint32Array(pixels);
  }

  /** Add `count` frames stored back to back in `data`. */
  add(data: ArrayLike<number>, count: number): void {
    const { sum, sat, pixels, saturation } = this;
    for (let k = 0, o = 0; k < count; k++) {
      for (let p = 0; p < pixels; p++, o++) {
        const v = data[o];
        sum[p] += v;
        if (v >= saturation) sat[p]++;
      }
    }
    this.n += count;
  }

  result(): PixelStats {
    const mean = new Float64Array(this.pixels);
    for (let p = 0; p < this.pixels; p++) mean[p] = this.n ? this.sum[p] / this.n : 0;
    return { mean, saturatedFrames: this.sat, frames: this.n };
  }
}

/** Median of the 5 × 5 neighbourhood of each pixel, the pixel itself left out, ignoring `skip` pixels. */
export function neighbourhoodMedian(img: Float64Array, h: number, w: number, skip: Uint8Array | null, radius = 2): Float64Array {
  const out = new Float64Array(h * w);
  const buf = new Float64Array((2 * radius + 1) ** 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let n = 0;
      for (let j = Math.max(0, y - radius); j <= Math.min(h - 1, y + radius); j++) {
        for (let i = Math.max(0, x - radius); i <= Math.min(w - 1, x + radius); i++) {
          if ((i === x && j === y) || (skip && skip[j * w + i])) continue;
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
export function classifyDeadHot(stats: PixelStats, h: number, w: number, skip: Uint8Array | null, o: DeadHotOptions): Uint8Array {
  const med = neighbourhoodMedian(stats.mean, h, w, skip);
  const out = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    if (skip && skip[p]) continue;
    const m = med[p];
    const v = stats.mean[p];
    if (!(m > 0) || m * stats.frames < o.minCounts) {
      // Too dark around to call a pixel dead; a bright pixel in the dark can still be hot.
      if (o.hotFactor != null && v * stats.frames >= o.minCounts && v > o.hotFactor * Math.max(m, 1 / Math.max(1, stats.frames))) out[p] = 2;
      continue;
    }
    if (o.deadFraction != null && v < o.deadFraction * m) out[p] = 1;
    else if (o.hotFactor != null && v > o.hotFactor * m) out[p] = 2;
  }
  return out;
}
