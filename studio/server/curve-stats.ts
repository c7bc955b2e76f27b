/**
 * Per-bin statistics of many curves on one x grid (an ROI's I(Q), S(Q), F(Q), G(r)), accumulated
 * one curve at a time so a scan's curves stream through chunk by chunk: mean, population standard
 * deviation (Welford's update, stable when the spread is small next to the mean), min, max and the
 * number of finite values per bin. NaN samples (masked bins, failed positions) are skipped, so a
 * bin's statistics are over the positions that have a value there.
 */
import { forEachRun } from './patterns.ts';

export class CurveStats {
  readonly count: Int32Array;
  private readonly m: Float64Array;
  private readonly m2: Float64Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  /** Curves added (positions), and those without a single finite value (failed positions). */
  curves = 0;
  empty = 0;

  constructor(readonly bins: number) {
    this.count = new Int32Array(bins);
    this.m = new Float64Array(bins);
    this.m2 = new Float64Array(bins);
    this.lo = new Float64Array(bins).fill(Infinity);
    this.hi = new Float64Array(bins).fill(-Infinity);
  }

  /** Add the curve data[offset … offset + bins). */
  add(data: ArrayLike<number>, offset: number): void {
    const { count, m, m2, lo, hi } = this;
    let finite = 0;
    for (let b = 0; b < this.bins; b++) {
      const v = data[offset + b];
      if (!Number.isFinite(v)) continue;
      finite++;
      const n = ++count[b];
      const d = v - m[b];
      m[b] += d / n;
      m2[b] += d * (v - m[b]);
      if (v < lo[b]) lo[b] = v;
      if (v > hi[b]) hi[b] = v;
    }
    this.curves++;
    if (finite === 0) this.empty++;
  }

  /** float32 arrays (NaN where a bin had no finite value): mean, std (divide by n), min, max. */
  result(): { mean: Float32Array; std: Float32Array; min: Float32Array; max: Float32Array } {
    const n = this.bins;
    const mean = new Float32Array(n);
    const std = new Float32Array(n);
    const min = new Float32Array(n);
    const max = new Float32Array(n);
    for (let b = 0; b < n; b++) {
      const c = this.count[b];
      mean[b] = c ? this.m[b] : NaN;
      std[b] = c ? Math.sqrt(this.m2[b] / c) : NaN;
      min[b] = c ? this.lo[b] : NaN;
      max[b] = c ? this.hi[b] : NaN;
    }
    return { mean, std, min, max };
  }
}

/**
 * Statistics over sorted position indices of curves read in runs of nearby positions:
 * `read(start, count)` returns those positions' curves back to back (bins values each).
 */
export function statsOverPositions(positions: Int32Array, bins: number, read: (start: number, count: number) => ArrayLike<number>, maxRun = 256): CurveStats {
  const st = new CurveStats(bins);
  forEachRun(positions, maxRun, (i, end) => {
    const start = positions[i];
    const data = read(start, positions[end] - start + 1);
    for (let k = i; k <= end; k++) st.add(data, (positions[k] - start) * bins);
  });
  return st;
}
