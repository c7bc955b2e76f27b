/**
 * Per-bin statistics of many curves on one x grid (an ROI's I(Q), S(Q), F(Q), G(r)), accumulated
 * one curve at a time so a scan's curves stream through chunk by chunk: mean, population standard
 * deviation, min, max and the number of finite values per bin. Sums are of the values shifted by
 * the bin's first value (the "shifted data" algorithm: no cancellation when the spread is small
 * next to the mean, and no division per sample as in Welford's update). NaN samples (masked bins,
 * failed positions) are skipped, so a bin's statistics are over the positions with a value there.
 */
import { forEachRun } from './patterns.ts';

export class CurveStats {
  readonly count: Int32Array;
  private readonly shift: Float64Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  /** Curves added (positions), and those without a single finite value (failed positions). */
  curves = 0;
  empty = 0;

  constructor(readonly bins: number) {
    this.count = new Int32Array(bins);
    this.shift = new Float64Array(bins);
    this.s1 = new Float64Array(bins);
    this.s2 = new Float64Array(bins);
    this.lo = new Float64Array(bins).fill(Infinity);
    this.hi = new Float64Array(bins).fill(-Infinity);
  }

  /** Add the curve data[offset … offset + bins). */
  add(data: ArrayLike<number>, offset: number): void {
    const { count, shift, s1, s2, lo, hi } = this;
    let finite = 0;
    for (let b = 0; b < this.bins; b++) {
      const v = data[offset + b];
      if (!Number.isFinite(v)) continue;
      finite++;
      if (count[b]++ === 0) shift[b] = v;
      const d = v - shift[b];
      s1[b] += d;
      s2[b] += d * d;
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
      const m1 = this.s1[b] / c;
      mean[b] = c ? this.shift[b] + m1 : NaN;
      std[b] = c ? Math.sqrt(Math.max(0, this.s2[b] / c - m1 * m1)) : NaN;
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
export function statsOverPositions(
  positions: Int32Array,
  bins: number,
  read: (start: number, count: number) => ArrayLike<number>,
  maxRun = 256,
): CurveStats {
  const st = new CurveStats(bins);
  forEachRun(positions, maxRun, (i, end) => {
    const start = positions[i];
    const data = read(start, positions[end] - start + 1);
    for (let k = i; k <= end; k++) st.add(data, (positions[k] - start) * bins);
  });
  return st;
}
